"""File import pages: the list of imports with an upload form, and one import's progress."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import get_valid_filename

from devotion.ingest.importer import Importer, ImportFailed, detect_format
from devotion.ingest.models import ImportRun
from devotion.ingest.sources import IMPORT_KINDS, supported
from devotion.ingest.tasks import start_import
from devotion.lib.rendering import render_page
from devotion.team.permissions import role_required

PAGE_SIZE = 25


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k.title()) for k in IMPORT_KINDS])
    source = forms.ChoiceField(choices=[(name, label) for name, label, _ in supported()])
    file = forms.FileField(help_text="CSV (comma, semicolon or tab) or JSONL, UTF-8.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        upload: UploadedFile | None = data.get("file")
        if data.get("kind") and data.get("source"):
            try:
                Importer(data["kind"], data["source"])
            except ImportFailed as exc:
                raise forms.ValidationError(str(exc)[:1].upper() + str(exc)[1:] + ".") from None
        if upload is not None:
            try:
                data["format"] = detect_format(Path(upload.name or ""))
            except ImportFailed:
                self.add_error("file", "Upload a .csv or .jsonl file.")
        return data


def _save_upload(upload: UploadedFile) -> Path:
    """Keep the upload under MEDIA_ROOT/imports/ with a unique, safe name."""
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    name = get_valid_filename(Path(upload.name or "upload.csv").name) or "upload.csv"
    path = folder / f"{secrets.token_hex(4)}-{name}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


@role_required("manager")
def imports(request: HttpRequest) -> HttpResponse:
    form = UploadForm()
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            # 1. Keep the file, and check its header now so mistakes show on this form.
            path = _save_upload(data["file"])
            try:
                importer = Importer(data["kind"], data["source"], fmt=data["format"])
                importer.check(path, name=data["file"].name)
            except ImportFailed as exc:
                path.unlink(missing_ok=True)
                form.add_error("file", str(exc))
            else:
                # 2. Record the run and import in the background; its page shows progress.
                run = ImportRun.objects.record(
                    kind=data["kind"],
                    source=data["source"],
                    filename=data["file"].name,
                    path=str(path),
                    format=data["format"],
                    bytes_total=path.stat().st_size,
                    started_by=request.user,
                )
                start_import(run)
                return redirect("import", run_id=run.pk)
    # The list, newest first.
    runs = ImportRun.objects.select_related("job__started_by").defer("rejects_preview")
    page = Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ingest/imports.html",
        {"form": form, "page": page, "sources": supported()},
        status=400 if form.errors else 200,
    )


@role_required("manager")
def import_run(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(ImportRun.objects.select_related("job__started_by"), pk=run_id)
    # htmx polls the status fragment every second until the run is finished.
    return render_page(request, "ingest/import_run.html", "status", {"run": run})


@role_required("manager")
def import_rejects(request: HttpRequest, run_id: int) -> FileResponse:
    run = get_object_or_404(ImportRun, pk=run_id)
    path = Path(run.rejects_path) if run.rejects_path else None
    if path is None or not path.is_file():
        raise Http404("This import has no rejects report.")
    download = f"{Path(run.filename).stem}.rejected.csv"
    return FileResponse(path.open("rb"), as_attachment=True, filename=download)


SAMPLES = Path(settings.BASE_DIR).parent / "docs" / "samples"


@role_required("manager")
def import_sample(request: HttpRequest, name: str) -> FileResponse:
    # Only the files listed in docs/samples/, by exact name: no path tricks.
    samples = {p.name: p for p in SAMPLES.glob("*") if p.is_file()} if SAMPLES.is_dir() else {}
    if name not in samples:
        raise Http404("No such sample file.")
    return FileResponse(samples[name].open("rb"), as_attachment=True, filename=name)

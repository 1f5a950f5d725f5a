"""The imports page: managers upload a file, watch it run, and read the rejects."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from devotion.core import queues
from devotion.core.models import Job
from devotion.ingest.importer import Importer
from devotion.ingest.models import ImportRun
from devotion.ingest.tasks import forget_upload
from devotion.touchpoints.models import Touchpoint

pytestmark = pytest.mark.django_db

ORDERS = (
    "external_id,occurred_at,email,amount,currency\n"
    "o-1,2025-05-01T10:00:00Z,ada@example.com,10.00,USD\n"
    "o-2,2025-05-02T10:00:00Z,not-an-email,12.00,USD\n"
    "o-3,2025-05-03T10:00:00Z,lee@example.com,8.00,USD\n"
)


@pytest.fixture(autouse=True)
def _run_tasks_now(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": queues.QUEUES,
        }
    }


def _upload(client, content=ORDERS, name="orders.csv", kind="orders", source="generic"):
    return client.post(
        "/imports/",
        {"kind": kind, "source": source, "file": SimpleUploadedFile(name, content.encode())},
    )


def test_a_manager_uploads_a_file_and_sees_its_report(login, manager):
    client = login(manager)
    response = _upload(client)
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{run.pk}/"
    assert (run.status, run.rows_accepted, run.rows_rejected) == ("done", 2, 1)
    assert run.created_by == manager
    assert Touchpoint.objects.count() == 2

    page = client.get(f"/imports/{run.pk}/")
    assert page.status_code == 200
    assert "email &#x27;not-an-email&#x27; is not an e-mail address" in page.text
    assert f"/imports/{run.pk}/rejects.csv" in page.text
    assert "hx-trigger" not in page.text  # finished: no more polling

    rejects = client.get(f"/imports/{run.pk}/rejects.csv")
    body = b"".join(rejects.streaming_content).decode()
    rejects.close()
    assert body.splitlines()[0] == "line,reason,external_id,occurred_at,email,amount,currency"
    assert body.splitlines()[1].startswith("3,")


def test_the_upload_is_deleted_once_imported_and_its_rejects_report_stays(login, manager, settings):
    _upload(login(manager))
    run = ImportRun.objects.get()
    assert run.path.startswith(str(settings.MEDIA_ROOT / "imports"))
    assert not Path(run.path).exists()  # every customer's rows, as uploaded: not kept
    assert run.rejects_path.endswith("-orders.rejected.csv")
    assert Path(run.rejects_path).is_file()


def test_a_file_the_command_line_imported_is_never_deleted(tmp_path):
    own = tmp_path / "orders.csv"
    own.write_text(ORDERS)
    forget_upload(own)
    assert own.exists()


def test_a_file_missing_required_columns_is_refused_on_the_form(login, manager):
    response = _upload(login(manager), content="email,amount\nada@example.com,3\n")
    assert response.status_code == 400
    assert "missing required columns" in response.text
    assert "external_id" in response.text
    assert not ImportRun.objects.exists()


def test_an_unsupported_kind_for_the_source_is_refused(login, manager):
    response = _upload(login(manager), kind="reviews", source="stripe")
    assert response.status_code == 400
    assert "Stripe has no reviews export" in response.text


def test_a_file_that_is_neither_csv_nor_jsonl_is_refused(login, manager):
    response = _upload(login(manager), name="orders.xlsx")
    assert response.status_code == 400
    assert "Upload a .csv or .jsonl file." in response.text


@pytest.mark.parametrize("persona", ["agent", "outsider"])
def test_only_managers_may_use_imports(request, login, persona, manager):
    run = ImportRun.objects.create(kind="orders", source="generic", filename="x.csv")
    client = login(request.getfixturevalue(persona))
    assert client.get("/imports/").status_code == 403
    assert _upload(client).status_code == 403
    assert client.get(f"/imports/{run.pk}/").status_code == 403
    assert client.get(f"/imports/{run.pk}/rejects.csv").status_code == 403
    assert ImportRun.objects.count() == 1


def test_admins_may_import_too(login, admin_user):
    assert login(admin_user).get("/imports/").status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/imports/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_empty_list_says_what_to_do(login, manager):
    page = login(manager).get("/imports/")
    assert "No imports yet" in page.text
    assert "/imports/samples/generic_orders.csv" in page.text
    sample = login(manager).get("/imports/samples/generic_orders.csv")
    assert sample.status_code == 200
    assert b"".join(sample.streaming_content)  # reading it closes it the test-safe way
    assert login(manager).get("/imports/samples/..%2Fimport.md").status_code == 404


def test_the_progress_fragment_polls_while_running_and_stops_when_done(login, manager):
    client = login(manager)
    run = ImportRun.objects.create(
        kind="orders",
        source="generic",
        filename="big.csv",
        status=ImportRun.Status.RUNNING,
        bytes_total=1000,
        bytes_read=250,
        rows_total=40,
    )
    fragment = client.get(f"/imports/{run.pk}/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'hx-trigger="every 1s"' in fragment.text
    assert 'value="25"' in fragment.text

    ImportRun.objects.filter(pk=run.pk).update(rows_accepted=40)
    Job.objects.filter(import_run=run).update(status="done")
    fragment = client.get(f"/imports/{run.pk}/", headers={"HX-Request": "true"})
    assert "hx-trigger" not in fragment.text
    assert "Done" in fragment.text


def test_going_back_to_an_import_restores_the_whole_page(login, manager):
    # htmx asks for the page again when the browser's history has lost it: it needs all of it.
    run = ImportRun.objects.create(kind="orders", source="generic", filename="big.csv")
    page = login(manager).get(
        f"/imports/{run.pk}/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in page.text
    assert "HX-Request" in page["Vary"]


def test_the_list_page_costs_the_same_queries_for_many_imports(
    login, manager, django_assert_max_num_queries
):
    client = login(manager)
    for number in range(30):
        ImportRun.objects.create(
            kind="orders", source="shopify", filename=f"f{number}.csv", created_by=manager
        )
    with django_assert_max_num_queries(8):
        page = client.get("/imports/")
    assert page.status_code == 200
    assert "f29.csv" in page.text
    assert "Page 1 of 2" in page.text


def test_a_failed_run_explains_itself(login, manager):
    run = ImportRun.objects.create(
        kind="orders",
        source="generic",
        filename="bad.csv",
        status=ImportRun.Status.FAILED,
        error="bad.csv is not UTF-8 text",
    )
    page = login(manager).get(f"/imports/{run.pk}/")
    assert "The import stopped: bad.csv is not UTF-8 text" in page.text


def _run_with(status, **times):
    run = ImportRun.objects.create(
        kind="orders", source="generic", filename="big.csv", status=status
    )
    # The run's times are its job's; started_at (the page's "started") is when it was asked for.
    moved = {"started_at": "created_at"}
    Job.objects.filter(import_run=run).update(**{moved.get(k, k): v for k, v in times.items()})
    return run


def test_a_run_whose_worker_stopped_is_shown_as_stalled(login, manager):
    ago = timezone.now() - timedelta(minutes=30)
    run = _run_with(ImportRun.Status.RUNNING, started_at=ago, progress_at=ago)
    ImportRun.objects.filter(pk=run.pk).update(rows_total=20_000)
    page = login(manager).get(f"/imports/{run.pk}/")
    assert "Stalled" in page.text
    assert "The 20,000 records before that are stored" in page.text
    assert "hx-trigger" not in page.text  # nothing more will come: stop polling
    assert "Stalled" in login(manager).get("/imports/").text


def test_a_run_that_reports_progress_is_not_stalled(login, manager):
    long_ago = timezone.now() - timedelta(hours=2)
    run = _run_with(ImportRun.Status.RUNNING, started_at=long_ago, progress_at=timezone.now())
    page = login(manager).get(f"/imports/{run.pk}/")
    assert "Stalled" not in page.text
    assert 'hx-trigger="every 1s"' in page.text


def test_a_run_queued_for_minutes_says_no_worker_is_running(login, manager):
    run = _run_with(ImportRun.Status.QUEUED, started_at=timezone.now() - timedelta(minutes=5))
    page = login(manager).get(f"/imports/{run.pk}/")
    assert "Waiting for a worker" in page.text
    assert "devotion worker" in page.text
    assert 'hx-trigger="every 1s"' in page.text  # it starts as soon as a worker does
    fresh = _run_with(ImportRun.Status.QUEUED)
    assert "Waiting for a worker" not in login(manager).get(f"/imports/{fresh.pk}/").text


def test_an_import_records_its_progress_time(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(ORDERS)
    before = timezone.now()
    Importer("orders", "generic").run(path)
    run = ImportRun.objects.get()
    assert run.progress_at is not None and run.progress_at >= before

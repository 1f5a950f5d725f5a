"""Settings → API keys: managers see the keys, admins create and revoke them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from devotion.api.models import SCOPES, ApiKey
from devotion.team.permissions import has_role, role_required
from devotion.trust.models import AuditEvent


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=200, help_text="What uses this key, e.g. 'Shopify sync' or 'Data warehouse'."
    )
    scopes = forms.MultipleChoiceField(
        choices=list(SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text="Give a key only what it needs.",
    )


@role_required("manager")
def key_list(request: HttpRequest) -> HttpResponse:
    # Managers see which keys exist and when they were last used; only admins change them.
    keys = ApiKey.objects.select_related("created_by")
    return render(
        request,
        "api/key_list.html",
        {"keys": keys, "scopes": SCOPES, "can_edit": has_role(request.user, "admin")},
    )


@role_required("admin")
@require_http_methods(["GET", "POST"])
def key_create(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # 1. Make the key; only its hash is stored.
        key, raw = ApiKey.create(
            form.cleaned_data["name"], form.cleaned_data["scopes"], created_by=request.user
        )
        # 2. Audit without the secret.
        AuditEvent.record(
            "apikey.create",
            actor=request.user,
            object_type="apikey",
            object_id=key.pk,
            scopes=key.scopes,
        )
        # 3. Show the raw key once, in this answer; it is never stored or shown again.
        response = render(request, "api/key_created.html", {"key": key, "raw_key": raw})
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "api/key_form.html", {"form": form})


@role_required("admin")
@require_http_methods(["GET", "POST"])
def key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=key_id)
    if request.method == "GET":
        # Confirmation page: revoking breaks whatever uses the key.
        return render(request, "api/key_revoke.html", {"key": key})
    if key.is_active:
        key.revoke()
        AuditEvent.record(
            "apikey.revoke", actor=request.user, object_type="apikey", object_id=key.pk
        )
        messages.success(request, f"Key {key.prefix}… is revoked; requests using it now get 401.")
    return redirect("apikeys")

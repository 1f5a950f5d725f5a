"""The /surveys/ pages (agents view; managers create and send) and the public answer page.

The answer and unsubscribe pages need no login: the signed link in the e-mail says who it is.
They work without JavaScript (plain forms) and on a phone.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from devotion.lib.paging import Cursor
from devotion.lib.rendering import render_page
from devotion.team.permissions import has_role, role_required
from devotion.trust.models import AuditEvent
from devotion.voice.surveys import answers, links, sending, targeting
from devotion.voice.surveys.chart import score_chart
from devotion.voice.surveys.forms import AnswerForm, SurveyForm
from devotion.voice.surveys.models import Survey, SurveyInvitation, SurveyOptOut
from devotion.voice.surveys.stats import history, summary, with_counts

PAGE_SIZE = 25
PREVIEW_SIZE = 20


# -- staff pages ------------------------------------------------------------------------------


@role_required("agent")
def survey_list(request: HttpRequest) -> HttpResponse:
    # Every survey with its counts, newest first (one query).
    surveys = with_counts(Survey.objects.all())
    rows = [(survey, summary(survey)) for survey in surveys]
    return render(
        request,
        "voice/surveys/list.html",
        {"rows": rows, "can_manage": has_role(request.user, "manager")},
    )


@role_required("manager")
def survey_create(request: HttpRequest) -> HttpResponse:
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Save as a draft and show its preview: nothing is sent until Send is pressed.
        survey = form.save(commit=False)
        survey.created_by = request.user  # type: ignore[assignment]  # login required here
        survey.save()
        AuditEvent.record(
            "survey.created", actor=request.user, object_type="survey", object_id=survey.pk
        )
        messages.success(request, "Survey saved as a draft. Check who will get it, then send it.")
        return redirect("survey", pk=survey.pk)
    return render(
        request,
        "voice/surveys/form.html",
        {"form": form, "segments_available": targeting.segments_available()},
    )


@role_required("agent")
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(with_counts(Survey.objects.select_related("job")), pk=pk)
    is_manager = has_role(request.user, "manager")
    # 1. The numbers, and the score per week or month with the answers behind each point.
    answered = SurveyInvitation.objects.filter(survey=survey, answered_at__isnull=False)
    past = history(survey)
    # 2. The answers, newest first, a page at a time; the text analysis when there is one.
    wanted = request.GET.get("group", "")
    page_qs = answered.select_related("person", "touchpoint__analysis").order_by(
        "-answered_at", "-id"
    )
    if wanted == "commented":
        page_qs = page_qs.exclude(comment="")
    elif wanted in survey.scale.groups:
        scores = survey.scale.answers_in(wanted)
        page_qs = page_qs.filter(score__gte=scores.start, score__lt=scores.stop)
    cursor = Cursor.decode(request.GET.get("after"))
    if cursor is not None:
        page_qs = page_qs.filter(cursor.condition("answered_at"))
    page = list(page_qs[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    next_cursor = (
        Cursor(True, page[-1].answered_at, page[-1].pk).encode()  # type: ignore[arg-type]
        if more and page
        else ""
    )
    # 3. For a draft, managers see who it would reach now.
    plan = targeting.plan(survey) if survey.can_send and is_manager else None
    context = {
        "survey": survey,
        "stats": summary(survey),
        "chart": score_chart(survey.scale, past.points, past.period),
        "points": past.points,
        "period": past.period,
        "groups": [(g, past.groups[g]) for g in survey.scale.groups if g in past.groups],
        "responses": [(inv, _analysis(inv)) for inv in page],
        "next_cursor": next_cursor,
        "first_page": cursor is None,
        "wanted": wanted,
        "plan": plan,
        "preview": plan.recipients[:PREVIEW_SIZE] if plan else [],
        "is_manager": is_manager,
        "recontact_days": targeting.recontact_days(),
        "link_days": links.link_days(),
    }
    return render_page(request, "voice/surveys/detail.html", "responses", context)


def _analysis(invitation: SurveyInvitation) -> dict[str, Any] | None:
    """What the voice text analysis says of an answer's text, when it has been analysed."""
    touchpoint = invitation.touchpoint
    analysis = getattr(touchpoint, "analysis", None) if touchpoint is not None else None
    if analysis is None or not invitation.comment:
        return None
    score = analysis.sentiment
    label = getattr(analysis, "sentiment_label", "") or (
        ""
        if score is None
        else "positive"
        if score > 0.2
        else "negative"
        if score < -0.2
        else "neutral"
    )
    emotions = analysis.emotions if isinstance(analysis.emotions, dict) else {}
    strongest = sorted(
        ((k, v) for k, v in emotions.items() if isinstance(v, int | float) and v > 0),
        key=lambda kv: -kv[1],
    )[:2]
    return {"label": label, "score": score, "topic": analysis.topic, "emotions": strongest}


@require_POST
@role_required("manager")
def survey_send(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    if not survey.can_send:
        messages.error(request, "This survey was already sent; make a new one for a new wave.")
        return redirect("survey", pk=survey.pk)
    # Queue the job; the e-mails' links point where the manager reached Devotion.
    job = sending.start(survey, user=request.user, link_base=request.build_absolute_uri("/"))
    AuditEvent.record(
        "survey.sent", actor=request.user, object_type="survey", object_id=survey.pk, job=job.pk
    )
    messages.success(request, "Sending started: progress shows below and under Settings > Jobs.")
    return redirect("survey", pk=survey.pk)


@require_POST
@role_required("manager")
def survey_delete(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    if survey.status != Survey.Status.DRAFT:
        raise PermissionDenied("Only a draft can be deleted: a sent survey keeps its answers.")
    AuditEvent.record("survey.deleted", actor=request.user, object_type="survey", object_id=pk)
    survey.delete()
    messages.success(request, "Draft deleted.")
    return redirect("surveys")


# -- public pages -----------------------------------------------------------------------------


def _link_error(request: HttpRequest, error: links.LinkError, status: int) -> HttpResponse:
    return render(
        request,
        "voice/surveys/public_message.html",
        {"title": error.title, "message": str(error)},
        status=status,
    )


# No CSRF check: the signed token in the URL is what lets someone answer, and only its owner
# has it; a cookie requirement would fail customers whose mail app's browser keeps no cookies.
@csrf_exempt
@login_not_required
def answer(request: HttpRequest, token: str) -> HttpResponse:
    # 1. Who: the signed link, or a page saying why it cannot be used.
    try:
        invitation = links.from_answer_token(token)
    except links.LinkError as error:
        return _link_error(request, error, 410 if "expired" in error.title else 404)
    survey = invitation.survey
    saved = False
    # 2. A score clicked in the e-mail counts at once; the page then offers the comment.
    if request.method == "GET" and "score" in request.GET:
        form = AnswerForm(survey, {"score": request.GET["score"], "comment": invitation.comment})
        if form.is_valid():
            try:
                invitation = answers.record(
                    invitation, form.cleaned_data["score"], invitation.comment
                )
            except answers.AnswerError as error:
                form.add_error(None, str(error))
            else:
                saved = True
                form = AnswerForm(
                    survey, initial={"score": invitation.score, "comment": invitation.comment}
                )
    elif request.method == "POST":
        form = AnswerForm(survey, request.POST)
        if form.is_valid():
            try:
                answers.record(invitation, form.cleaned_data["score"], form.cleaned_data["comment"])
            except answers.AnswerError as error:
                form.add_error(None, str(error))
            else:
                return redirect("survey-thanks", token=token)
    else:
        initial = {"score": invitation.score, "comment": invitation.comment}
        form = AnswerForm(survey, initial=initial)
    scale = survey.scale
    return render(
        request,
        "voice/surveys/answer.html",
        {
            "survey": survey,
            "invitation": invitation,
            "form": form,
            "scale": scale,
            "saved": saved,
            "chosen": str(form["score"].value() or ""),
            "opt_out_url": links.opt_out_url(invitation),
            "token": token,
        },
        status=200 if not form.errors else 400,
    )


@login_not_required
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = links.from_answer_token(token)
    except links.LinkError as error:
        return _link_error(request, error, 410 if "expired" in error.title else 404)
    return render(
        request,
        "voice/surveys/thanks.html",
        {"survey": invitation.survey, "invitation": invitation, "token": token},
    )


@csrf_exempt  # the signed link is the proof; mail programs POST here for one-click unsubscribe
@login_not_required
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = links.from_opt_out_token(token)
    except links.LinkError as error:
        return _link_error(request, error, 404)
    done = SurveyOptOut.objects.filter(person_id=invitation.person_id).exists()
    if request.method == "POST" and not done:
        SurveyOptOut.objects.get_or_create(
            person_id=invitation.person_id, defaults={"survey": invitation.survey}
        )
        done = True
    return render(
        request,
        "voice/surveys/opt_out.html",
        {"survey": invitation.survey, "done": done, "token": token},
    )

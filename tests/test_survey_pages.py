"""The /surveys/ pages: agents see surveys and answers; managers create, preview and send."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devotion.voice.surveys import answers
from devotion.voice.surveys.models import Survey, SurveyInvitation
from tests.survey_helpers import customers, invitation_of, sent_survey, survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered():
    """An NPS survey sent to three people, two of whom answered on different weeks."""
    customers()
    nps = sent_survey()
    now = timezone.now()
    answers.record(
        invitation_of(nps, "ada@example.com"), 10, "Great beans", now=now - timedelta(days=8)
    )
    answers.record(invitation_of(nps, "grace@example.com"), 3, "Late parcel", now=now)
    return nps


def test_an_outsider_sees_no_survey_page(client, login, outsider, answered):
    login(outsider)
    for url in ("/surveys/", f"/surveys/{answered.pk}/", "/surveys/new/"):
        assert client.get(url).status_code == 403


def test_a_visitor_who_is_not_logged_in_is_sent_to_login(client, answered):
    response = client.get("/surveys/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_agent_sees_the_list_with_response_rate_and_score(client, login, agent, answered):
    body = login(agent).get("/surveys/").content.decode()
    assert "Spring NPS" in body
    assert "66.7 %" in body  # 2 answers of 3 asked
    assert 'score-cell">0<' in body  # one promoter, one detractor
    assert "New survey" not in body


def test_an_agent_sees_the_score_over_time_with_the_count_behind_each_point(
    client, login, agent, answered
):
    body = login(agent).get(f"/surveys/{answered.pk}/").content.decode()
    assert '<svg class="chart"' in body
    assert "n=1" in body  # one answer behind each weekly point
    assert "Great beans" in body and "Late parcel" in body
    assert "promoter 1" in body and "detractor 1" in body
    assert "<script" not in body.split("<main", 1)[1]  # the chart is drawn on the server


def test_the_answers_show_their_text_analysis_when_there_is_one(client, login, agent, answered):
    from devotion.voice.models import TextAnalysis

    touchpoint = invitation_of(answered, "grace@example.com").touchpoint
    TextAnalysis.objects.create(
        touchpoint=touchpoint,
        sentiment=-0.7,
        emotions={"anger": 0.6},
        topic="late delivery",
        model_version="t",
    )
    body = login(agent).get(f"/surveys/{answered.pk}/").content.decode()
    assert "negative" in body and "anger" in body and "late delivery" in body


def test_an_agent_may_not_create_or_send(client, login, agent):
    customers()
    draft = survey()
    login(agent)
    assert client.get("/surveys/new/").status_code == 403
    assert client.post("/surveys/new/", {}).status_code == 403
    assert client.post(f"/surveys/{draft.pk}/send/").status_code == 403
    assert client.post(f"/surveys/{draft.pk}/delete/").status_code == 403
    assert "Who it will reach" not in client.get(f"/surveys/{draft.pk}/").content.decode()


def test_a_manager_creates_a_draft_and_previews_who_will_get_it(client, login, manager):
    customers()
    login(manager)
    form = client.get("/surveys/new/").content.decode()
    assert 'value="kind:message"' in form
    response = client.post(
        "/surveys/new/",
        {
            "name": "Spring NPS",
            "sender": "Hearth & Bean",
            "kind": "nps",
            "question": "",
            "follow_up": "",
            "thank_you": "Thanks!",
            "target": "kind:order",
            "target_days": "30",
        },
    )
    created = Survey.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/surveys/{created.pk}/"
    # The standard question of the kind fills an empty one.
    assert created.question.startswith("How likely are you to recommend")
    assert (created.status, created.target_kind, created.created_by) == ("draft", "order", manager)
    page = client.get(f"/surveys/{created.pk}/").content.decode()
    assert "Who it will reach" in page and "Send to 3 people" in page
    assert "ada@example.com" in page


def test_the_form_says_what_is_wrong(client, login, manager):
    login(manager)
    response = client.post(
        "/surveys/new/", {"name": "", "kind": "xyz", "target": "kind:nope", "target_days": "0"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "This field is required." in body
    assert "Select a valid choice." in body
    assert "Choose from 1 to 3650 days." in body
    assert not Survey.objects.exists()


def test_a_sent_survey_cannot_be_sent_again_or_deleted(client, login, manager, answered):
    login(manager)
    response = client.post(f"/surveys/{answered.pk}/send/", follow=True)
    assert "already sent" in response.content.decode()
    assert SurveyInvitation.objects.count() == 3
    assert client.post(f"/surveys/{answered.pk}/delete/").status_code == 403


def test_a_manager_deletes_a_draft(client, login, manager):
    draft = survey()
    login(manager)
    assert client.post(f"/surveys/{draft.pk}/delete/").status_code == 302
    assert not Survey.objects.exists()


def test_the_nav_links_to_surveys(client, login, agent):
    body = login(agent).get("/surveys/").content.decode()
    assert '<a href="/surveys/" aria-current="page">Surveys</a>' in body


def test_the_list_costs_a_fixed_number_of_queries(
    client, login, agent, answered, django_assert_max_num_queries
):
    for n in range(5):
        sent_survey(name=f"Wave {n}")
    login(agent)
    with django_assert_max_num_queries(8):
        assert client.get("/surveys/").status_code == 200


def test_the_detail_page_costs_a_fixed_number_of_queries(
    client, login, agent, answered, django_assert_max_num_queries
):
    login(agent)
    with django_assert_max_num_queries(10):
        assert client.get(f"/surveys/{answered.pk}/").status_code == 200


def test_the_answers_page_through_older_ones(client, login, agent):
    people = [(f"p{i}@example.com", f"Person {i}") for i in range(30)]
    customers(people=people)
    nps = sent_survey()
    now = timezone.now()
    for i, (email, _) in enumerate(people):
        answers.record(
            invitation_of(nps, email), i % 11, f"comment {i}", now=now - timedelta(hours=i)
        )
    login(agent)
    first = client.get(f"/surveys/{nps.pk}/").content.decode()
    assert "comment 0" in first and "comment 24" in first and "comment 25" not in first
    after = first.split('href="?after=')[1].split('"')[0]
    second = client.get(f"/surveys/{nps.pk}/?after={after}").content.decode()
    assert "comment 25" in second and "comment 29" in second and "comment 24<" not in second


def test_the_score_of_every_survey_of_a_kind_together_over_time():
    from devotion.voice.surveys.stats import kind_history

    customers()
    first = sent_survey(name="Wave 1")
    answers.record(
        invitation_of(first, "ada@example.com"), 10, now=timezone.now() - timedelta(days=200)
    )
    SurveyInvitation.objects.update(sent_at=timezone.now() - timedelta(days=200))
    second = sent_survey(name="Wave 2")
    answers.record(invitation_of(second, "grace@example.com"), 0)
    together = kind_history("nps")
    assert together.period == "month"
    assert [(p.score, p.count) for p in together.points] == [(100.0, 1), (-100.0, 1)]
    assert kind_history("csat").points == []


def test_the_answers_can_be_narrowed_to_one_group(client, login, agent, answered):
    login(agent)
    detractors = client.get(f"/surveys/{answered.pk}/?group=detractor").content.decode()
    assert "Late parcel" in detractors and "Great beans" not in detractors
    promoters = client.get(f"/surveys/{answered.pk}/?group=promoter").content.decode()
    assert "Great beans" in promoters and "Late parcel" not in promoters
    everyone = client.get(f"/surveys/{answered.pk}/?group=nonsense").content.decode()
    assert "Great beans" in everyone and "Late parcel" in everyone

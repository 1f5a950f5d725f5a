"""Settings > Jobs: managers see recent jobs with progress, who started them, warnings, logs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devotion.core import jobs, queues
from devotion.core.models import Job
from devotion.ingest.models import ImportRun

pytestmark = pytest.mark.django_db


def _job(label="Score every customer", **fields) -> Job:
    return Job.objects.create(kind="score", label=label, queue=queues.SCORING, **fields)


@pytest.mark.parametrize("persona", ["agent", "outsider"])
def test_only_managers_may_see_jobs(request, login, persona):
    job = _job()
    client = login(request.getfixturevalue(persona))
    assert client.get("/settings/jobs/").status_code == 403
    assert client.get(f"/settings/jobs/{job.pk}/").status_code == 403
    assert client.post(f"/settings/jobs/{job.pk}/cancel/").status_code == 403
    job.refresh_from_db()
    assert job.status == "queued"


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/settings/jobs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_admins_see_jobs_too(login, admin_user):
    assert login(admin_user).get("/settings/jobs/").status_code == 200


def test_the_empty_list_says_where_jobs_come_from(login, manager):
    page = login(manager).get("/settings/jobs/")
    assert "No jobs yet" in page.text
    assert 'href="/imports/"' in page.text


def test_the_list_shows_status_progress_and_who_started_each_job(login, manager):
    _job(
        "Analyse reviews",
        status=Job.Status.RUNNING,
        done=40,
        total=160,
        unit="reviews",
        started_by=manager,
        progress_at=timezone.now(),
    )
    _job("Score nightly", status=Job.Status.DONE)
    page = login(manager).get("/settings/jobs/").text
    assert "Analyse reviews" in page and "40 of 160 reviews · 25%" in page
    assert "by manon" in page
    assert "Score nightly" in page and "command line or schedule" in page
    assert 'hx-trigger="every 2s"' in page  # something is running: the list refreshes


def test_stalled_and_waiting_jobs_are_called_out(login, manager):
    long_ago = timezone.now() - timedelta(hours=1)
    _job("Stuck", status=Job.Status.RUNNING, created_at=long_ago, progress_at=long_ago)
    _job("Nobody", created_at=long_ago)
    page = login(manager).get("/settings/jobs/").text
    assert "Stalled" in page and "its worker has probably stopped" in page
    assert "Waiting for a worker" in page and "<code>scoring</code> queue" in page


def test_a_jobs_page_shows_its_log_and_error(login, manager):
    job = _job()
    with pytest.raises(ZeroDivisionError):
        jobs.run(job, lambda job: (job.write_log("Scored 10 people."), 1 / 0))
    page = login(manager).get(f"/settings/jobs/{job.pk}/").text
    assert "Scored 10 people." in page
    assert "It stopped: division by zero" in page
    assert "division by zero" in login(manager).get("/settings/jobs/").text  # the list says why
    assert "hx-trigger" not in page  # finished: nothing more to poll


def test_an_import_job_links_to_its_import(login, manager):
    run = ImportRun.objects.record(
        kind="orders", source="shopify", filename="o.csv", started_by=manager
    )
    page = login(manager).get(f"/settings/jobs/{run.job_id}/").text
    assert "Import orders from shopify: o.csv" in page
    assert f'href="/imports/{run.pk}/"' in page


def test_a_manager_can_cancel_a_queued_job_but_not_a_running_one(login, manager):
    client = login(manager)
    queued = _job()
    assert client.post(f"/settings/jobs/{queued.pk}/cancel/").status_code == 302
    queued.refresh_from_db()
    assert queued.status == "cancelled"
    assert "Cancelled by manon." in queued.log
    running = _job(status=Job.Status.RUNNING)
    page = client.post(f"/settings/jobs/{running.pk}/cancel/", follow=True).text
    assert "cannot be cancelled" in page
    running.refresh_from_db()
    assert running.status == "running"


def test_the_list_pages_with_the_same_queries_for_many_jobs(
    login, manager, django_assert_max_num_queries
):
    client = login(manager)
    for number in range(45):
        _job(f"job {number}", started_by=manager)
    with django_assert_max_num_queries(8):
        page = client.get("/settings/jobs/")
    assert "job 44" in page.text and "job 14" not in page.text
    older = client.get(f"/settings/jobs/?before={Job.objects.order_by('pk')[15].pk}").text
    assert "job 14" in older and "job 15" not in older

"""New texts are understood by a job on the analysis queue, fed by the storage signal; the
history by ``devotion analyze``."""

from __future__ import annotations

from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from devotion.core import queues
from devotion.core.models import Job
from devotion.ingest.store import ingest
from devotion.touchpoints.models import Touchpoint
from devotion.voice.analysis import analyse_new
from devotion.voice.models import TextAnalysis


def _message(make_event, text, **extra):
    return make_event(kind="message", text=text, amount=None, currency=None, **extra)


def test_a_stored_batch_queues_one_analysis_job_for_its_texts(
    db, make_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(
            [
                _message(make_event, "Where is my order? It is two weeks late!"),
                _message(make_event, "Thank you, lovely service"),
                make_event(),  # an order: no text
            ]
        )
    job = Job.objects.get(kind="analyze")
    assert job.queue == queues.ANALYSIS and job.total == 2
    task = DBTaskResult.objects.get(queue_name=queues.ANALYSIS)
    # The worker runs it: every text gets its analysis.
    analyse_new.call(*task.args_kwargs["args"])
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    late = TextAnalysis.objects.get(touchpoint__text__startswith="Where")
    assert late.needs_reply and "question" in late.reply_reasons
    assert late.topic == "late delivery" and late.sentiment_label == "negative"
    assert late.occurred_at is not None
    thanks = TextAnalysis.objects.get(touchpoint__text__startswith="Thank")
    assert thanks.sentiment_label == "positive" and not thanks.needs_reply


def test_a_batch_without_text_queues_nothing(db, make_event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest([make_event()])
    assert not Job.objects.filter(kind="analyze").exists()


def test_our_rude_reply_is_flagged_and_needs_no_reply(
    db, make_event, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        ingest([_message(make_event, "Calm down, it's not our problem.", direction="out")])
    call_command("analyze", quiet=True)
    analysis = TextAnalysis.objects.get()
    assert analysis.rude and analysis.rude_terms == ["calm down", "not our problem"]
    assert not analysis.needs_reply


def test_analyze_does_the_history_once_and_all_again(db, make_event, capsys):
    ingest([_message(make_event, f"Where is my refund number {i}?") for i in range(3)])
    call_command("analyze", quiet=True)
    assert TextAnalysis.objects.count() == 3
    assert "3 texts analysed" in capsys.readouterr().out
    call_command("analyze", quiet=True)
    assert "0 texts analysed" in capsys.readouterr().out
    TextAnalysis.objects.update(topic="x")
    call_command("analyze", "--all", quiet=True)
    assert set(TextAnalysis.objects.values_list("topic", flat=True)) == {"refund"}
    assert Touchpoint.objects.count() == 3


def test_the_threads_subject_finds_the_topic_but_not_the_feeling(db, make_event):
    """Every message of a ticket carries its subject ("Where is my refund"); the customer's
    thanks at the end of it was read as a complaint when the subject was read with it."""
    ingest(
        [
            _message(
                make_event,
                "Thank you so much! Jamal fixed everything and even followed up to check.",
                subject="Where is my refund",
            ),
            _message(make_event, "", subject="Charged twice for one order", external_id="s"),
        ]
    )
    call_command("analyze", quiet=True)
    thanks, subject_only = TextAnalysis.objects.order_by("touchpoint_id")
    assert thanks.topic == "refund" and thanks.sentiment_label == "positive"
    assert subject_only.sentiment_label == "negative"  # a subject alone is what they say

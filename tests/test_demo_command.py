"""`devotion demo`: sets up logins and a demo business once; running it again adds nothing."""

from __future__ import annotations

import stat
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from devotion.demo.generator import generate
from devotion.demo.loading import load
from devotion.demo.retention import QUIET_PROMOTERS, WINBACK_STORIES
from devotion.ingest.models import ImportRun
from devotion.people.models import Identity, Merge, Person, PersonalFact
from devotion.retention.models import RetentionReport, RetentionSpend, Segment
from devotion.team.models import StaffMember
from devotion.team.permissions import role_of
from devotion.touchpoints.models import Touchpoint
from devotion.voice.models import TextAnalysis

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(tmp_path, settings):
    settings.HOME = tmp_path
    settings.STATIC_ROOT = tmp_path / "static"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed
    return tmp_path


def _demo() -> str:
    out = StringIO()
    call_command("demo", "--no-serve", "--size", "small", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {
        "people": Person.objects.count(),
        "identities": Identity.objects.count(),
        "touchpoints": Touchpoint.objects.count(),
        "facts": PersonalFact.objects.count(),
        "merges": Merge.objects.count(),
        "staff": StaffMember.objects.count(),
        "users": User.objects.count(),
        "imports": ImportRun.objects.count(),
        "segments": Segment.objects.count(),
        "spend months": RetentionSpend.objects.count(),
        "retention reports": RetentionReport.objects.count(),
        "analyses": TextAnalysis.objects.count(),
    }


def test_running_the_demo_twice_adds_nothing_the_second_time(home):
    first_output = _demo()
    first = _counts()
    assert first["touchpoints"] > 1000
    second_output = _demo()
    assert _counts() == first
    assert "already here" in second_output
    # The printed logins stay the same from one run to the next.
    assert first_output.split("log in as:")[1] == second_output.split("log in as:")[1]
    # Even loading every event again (as after a crash halfway) creates nothing.
    counts = load(generate(seed=7, size="small"))
    assert counts.get("created", 0) == 0
    assert counts.get("rejected", 0) == 0
    assert _counts() == first


def test_it_creates_a_login_for_each_role_kept_in_a_private_file_and_the_team(home):
    output = _demo()
    roles = {role_of(User.objects.get(username=name)) for name in ("admin", "manager", "agent")}
    assert roles == {"admin", "manager", "agent"}
    logins = home / "demo-logins.txt"
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    for line in logins.read_text().splitlines()[1:]:
        username, _, password = line.split()
        assert User.objects.get(username=username).check_password(password)
        assert password in output
    # The demo team has the names customers use for them.
    priya = StaffMember.objects.get(display_name="Priya Shah")
    assert priya.aliases == ["Priya"]
    assert priya.user.username == "agent"
    assert priya.touchpoints.exists()


# Transactional: an import counts the people it created when each batch commits.
@pytest.mark.django_db(transaction=True)
def test_duplicate_identities_end_up_as_one_person_at_the_right_stage(home):
    from devotion.demo.scoring import DEFECTORS

    _demo()
    # Same human, two e-mail addresses, one phone: merged automatically, with the reason kept.
    merges = Merge.objects.filter(automatic=True)
    assert merges.count() == 2
    assert all("work.example" in merge.reason for merge in merges)
    # Stripe charges (e-mail only) and phone calls (phone only) joined existing customers
    # (the sample exports the demo imports last add people of their own).
    imported = ImportRun.objects.exclude(people_created_first=None)
    first_imported = min(imported.values_list("people_created_first", flat=True))
    for source in ("stripe", "phone"):
        owners = Person.objects.filter(touchpoints__source=source, pk__lt=first_imported)
        owners = owners.distinct()
        assert owners.exists()
        for person in owners:
            assert person.identities.filter(kind="external", source="shopify").exists()
    # Nobody was split by the way an e-mail address was typed.
    live = Person.objects.live()
    imported = sum(ImportRun.objects.values_list("people_created", flat=True))
    # ... plus the retention story's own customers (devotion/demo/retention.py) and the
    # satisfied defectors the scoring step adds (devotion/demo/scoring.py).
    stories = WINBACK_STORIES + QUIET_PROMOTERS
    assert live.count() == 150 + 40 + 4 + imported + stories + DEFECTORS
    # Prospects are people without an order; buyers moved on by the order rules.
    assert live.filter(stage="prospect", order_count=0).count() >= 40
    assert not live.filter(stage="prospect", order_count__gt=0).exists()
    assert live.filter(stage="active", order_count__gte=2).exists()


def test_the_demo_keeps_its_mail_in_the_outbox_with_invitations_to_read(home):
    from devotion.core.models import OutboxMessage
    from devotion.team.models import Invitation
    from devotion.trust.models import AuditEvent

    output = _demo()
    assert (home / "mail-mode").read_text().strip() == "outbox"
    assert "Settings > Outbox" in output
    # The team invitations (the demo surveys' and follow-up alerts' e-mails are kept too).
    kept = OutboxMessage.objects.filter(status="kept", text_body__contains="/invitation/")
    assert kept.count() == 2
    assert "http://127.0.0.1:8000/invitation/" in kept.first().text_body
    # The follow-up step's warnings and escalation stay in the outbox too.
    assert OutboxMessage.objects.filter(subject__startswith="Reply promise broken").exists()
    assert OutboxMessage.objects.filter(subject__startswith="Reply due soon").exists()
    mails = OutboxMessage.objects.count()
    follow_up = _follow_up_counts()
    assert follow_up["conversations"] > 50 and follow_up["owners"] > 0
    assert follow_up["breached"] > 0 and follow_up["warned"] > 0
    assert Invitation.objects.filter(accepted_at=None).count() == 2
    assert AuditEvent.objects.filter(action="team.invited").count() == 2
    assert not OutboxMessage.objects.exclude(status="kept").exists()
    _demo()  # a second run adds no e-mail, conversation, promise, alert or owner
    assert OutboxMessage.objects.count() == mails
    assert _follow_up_counts() == follow_up


def _follow_up_counts() -> dict[str, int]:
    from devotion.followup.models import Alert, Conversation, PersonOwner, ReplyPromise

    waiting = ReplyPromise.objects.filter(met_at__isnull=True)
    return {
        "conversations": Conversation.objects.count(),
        "promises": ReplyPromise.objects.count(),
        "breached": waiting.filter(state="breached").count(),
        "warned": waiting.filter(state="open", warned_at__isnull=False).count(),
        "alerts": Alert.objects.count(),
        "owners": PersonOwner.objects.count(),
    }


@pytest.mark.django_db(transaction=True)
def test_the_demo_has_finished_imports_one_with_a_rejected_row_and_their_people(home):
    from devotion.trust.models import AuditEvent

    _demo()
    runs = ImportRun.objects.select_related("job").order_by("pk")
    assert [run.filename for run in runs] == ["shopify_orders.csv", "stripe_charges.csv"]
    assert all(run.job.status == "done" and run.people_created > 0 for run in runs)
    stripe = runs.get(source="stripe")
    assert stripe.rows_rejected == 1
    # Its rejects report is kept with the installation's files, not next to the sample.
    assert stripe.rejects_path.startswith(str(home / "media"))
    assert AuditEvent.objects.filter(action="import.run").count() == 2


# Real commits: the stored signal (and so the queued tracking) runs after each commit.
@pytest.mark.django_db(transaction=True)
def test_after_the_demo_no_follow_up_tracking_waits_for_the_worker(home, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    from devotion.followup import tracking

    cancelled: list[int] = []
    cancel = tracking.cancel_queued_tracking
    monkeypatch.setattr(tracking, "cancel_queued_tracking", lambda: cancelled.append(cancel()))
    _demo()
    # Loading queued track tasks for its large batches; the demo filed everything itself
    # and dropped them, so `devotion serve` does not start by filing it all again.
    assert cancelled and cancelled[0] > 0
    waiting = DBTaskResult.objects.filter(task_path__endswith=".track_task", status="READY")
    assert not waiting.exists()

"""Reply promises out of the box: one support team open on weekdays and the usual policies
(new leads and new complaints: a first reply within 60 business minutes)."""

from django.conf import settings
from django.db import migrations

POLICIES = [
    # name, position, kinds, channels, negative_only, min value, first, next, resolution
    ("New leads", 10, ["lead"], [], False, None, 60, None, None),
    ("Live chat", 20, [], ["chat"], False, None, 5, 10, 480),
    ("Complaints", 30, [], [], True, None, 60, 240, 2400),
    ("High-value customers", 40, [], [], False, 1000, 120, 240, 1440),
    (
        "Reviews and social comments",
        50,
        ["review", "social_comment"],
        [],
        False,
        None,
        240,
        None,
        None,
    ),
    ("Survey comments", 60, ["survey_answer"], [], False, None, 480, None, None),
    ("Everything else", 100, [], [], False, None, 480, 480, 2400),
]


def create(apps, schema_editor):
    SupportTeam = apps.get_model("followup", "SupportTeam")
    SlaPolicy = apps.get_model("followup", "SlaPolicy")
    if not SupportTeam.objects.exists():
        SupportTeam.objects.create(
            name="Support", timezone=settings.TIME_ZONE, hours="mon-fri 09:00-17:00"
        )
    if SlaPolicy.objects.exists():
        return
    for name, position, kinds, channels, negative, value, first, nxt, resolution in POLICIES:
        SlaPolicy.objects.create(
            name=name,
            position=position,
            kinds=kinds,
            channels=channels,
            negative_only=negative,
            min_customer_value=value,
            first_reply_minutes=first,
            next_reply_minutes=nxt,
            resolution_minutes=resolution,
        )


class Migration(migrations.Migration):
    dependencies = [("followup", "0002_conversations_policies_alerts")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

"""The built-in segments every installation has: their members come from the latest
retention analysis, so they can be counted, exported and targeted like saved ones."""

from django.db import migrations

BUILTINS = (
    (
        "satisfied_defectors",
        "Satisfied defectors",
        "Latest survey said happy (NPS 9-10 or CSAT 4-5) while their behaviour says leaving: "
        "overdue against their own rhythm, or at risk or lapsed.",
    ),
    (
        "discount_wont_pay",
        "Another discount won't pay back",
        "Won back with a discount, and the margin their next return is expected to bring "
        "(shrinking as their returns shrink) is smaller than that discount.",
    ),
)


def create(apps, schema_editor):
    Segment = apps.get_model("retention", "Segment")
    for builtin, name, description in BUILTINS:
        if not Segment.objects.filter(builtin=builtin).exists():
            Segment.objects.create(builtin=builtin, name=name, description=description)


def remove(apps, schema_editor):
    apps.get_model("retention", "Segment").objects.exclude(builtin="").delete()


class Migration(migrations.Migration):
    dependencies = [("retention", "0002_segments_spend_reports")]

    operations = [migrations.RunPython(create, remove)]

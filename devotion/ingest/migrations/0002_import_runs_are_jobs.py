# An import run's lifecycle (status, who started it, times, error) moves to a core Job: every
# existing run gets one, with the values it had. 0003 then drops the old columns: apart, so
# PostgreSQL alters no table with the new rows' constraint checks still pending.

import django.db.models.deletion
from django.db import migrations, models

# Old ImportRun field -> Job field.
MOVED = {
    "status": "status",
    "error": "error",
    "created_by_id": "started_by_id",
    "started_at": "created_at",
    "progress_at": "progress_at",
    "finished_at": "finished_at",
}


def runs_to_jobs(apps, schema_editor):
    ImportRun = apps.get_model("ingest", "ImportRun")
    Job = apps.get_model("core", "Job")
    # Oldest first: job ids then follow the order the imports were made in.
    for run in ImportRun.objects.filter(job__isnull=True).order_by("started_at", "pk").iterator():
        values = {new: getattr(run, old) for old, new in MOVED.items()}
        job = Job.objects.create(
            kind="import",
            label=f"Import {run.kind} from {run.source}: {run.filename}"[:300],
            queue="imports",
            started_at=run.started_at if run.status != "queued" else None,
            done=run.bytes_read,
            total=run.bytes_total or None,
            unit="bytes",
            **values,
        )
        ImportRun.objects.filter(pk=run.pk).update(job=job)


def jobs_to_runs(apps, schema_editor):
    ImportRun = apps.get_model("ingest", "ImportRun")
    for run in ImportRun.objects.select_related("job").iterator():
        values = {old: getattr(run.job, new) for old, new in MOVED.items()}
        ImportRun.objects.filter(pk=run.pk).update(**values)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_job'),
        ('ingest', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='importrun',
            name='job',
            field=models.OneToOneField(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='import_run', to='core.job'),
        ),
        migrations.RunPython(runs_to_jobs, jobs_to_runs),
    ]

# The old lifecycle columns of ImportRun go, now that 0002 copied them to each run's Job.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ingest', '0002_import_runs_are_jobs'),
    ]

    operations = [
        migrations.AlterField(
            model_name='importrun',
            name='job',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='import_run', to='core.job'),
        ),
        migrations.AlterModelOptions(
            name='importrun',
            options={'ordering': ['-id']},
        ),
        migrations.RemoveField(model_name='importrun', name='created_by'),
        migrations.RemoveField(model_name='importrun', name='error'),
        migrations.RemoveField(model_name='importrun', name='finished_at'),
        migrations.RemoveField(model_name='importrun', name='progress_at'),
        migrations.RemoveField(model_name='importrun', name='started_at'),
        migrations.RemoveField(model_name='importrun', name='status'),
    ]

# The placeholder models go to the apps that will fill them (text analyses to voice, reply
# promises to followup): their tables were empty, so they are dropped here and created there.
# ImportRun goes to the ingest app with its data: its table stays, only Django's state moves.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('touchpoints', '0009_byte_collation'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name='importrun', name='created_by'),
                migrations.DeleteModel(name='ImportRun'),
            ],
        ),
        migrations.RemoveIndex(model_name='replypromise', name='promise_queue'),
        migrations.RemoveConstraint(model_name='replypromise', name='promise_per_target'),
        migrations.RemoveField(model_name='textanalysis', name='touchpoint'),
        migrations.RemoveField(model_name='replypromise', name='assignee'),
        migrations.RemoveField(model_name='replypromise', name='touchpoint'),
        migrations.DeleteModel(name='TextAnalysis'),
        migrations.DeleteModel(name='ReplyPromise'),
    ]

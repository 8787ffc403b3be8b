# The ServiceRequest foreign key `request` renamed `service_request` (issue 8). The index and unique
# constraints that name the field are dropped and built again on the renamed column.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('service', '0005_intake_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='slaevent',
            options={'ordering': ['service_request', 'at', 'id'], 'verbose_name': 'SLA event', 'verbose_name_plural': 'SLA events'},
        ),
        migrations.RemoveConstraint(
            model_name='escalation',
            name='uniq_escalation_request_target_level',
        ),
        migrations.RemoveIndex(
            model_name='slaevent',
            name='sla_event_request_at',
        ),
        migrations.RenameField(
            model_name='escalation',
            old_name='request',
            new_name='service_request',
        ),
        migrations.RenameField(
            model_name='historicalreview',
            old_name='request',
            new_name='service_request',
        ),
        migrations.RenameField(
            model_name='review',
            old_name='request',
            new_name='service_request',
        ),
        migrations.RenameField(
            model_name='slaevent',
            old_name='request',
            new_name='service_request',
        ),
        migrations.AddIndex(
            model_name='slaevent',
            index=models.Index(fields=['service_request', 'at'], name='sla_event_request_at'),
        ),
        migrations.AddConstraint(
            model_name='escalation',
            constraint=models.UniqueConstraint(fields=('service_request', 'target', 'level'), name='uniq_escalation_request_target_level'),
        ),
    ]

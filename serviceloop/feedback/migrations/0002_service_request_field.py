# The ServiceRequest foreign key `request` renamed `service_request` (issue 8). The index and unique
# constraints that name the field are dropped and built again on the renamed column.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('feedback', '0001_initial'),
        ('service', '0006_service_request_field'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='followup',
            name='uniq_followup_request_resolution',
        ),
        migrations.RenameField(
            model_name='followup',
            old_name='request',
            new_name='service_request',
        ),
        migrations.RenameField(
            model_name='historicalfollowup',
            old_name='request',
            new_name='service_request',
        ),
        migrations.RenameField(
            model_name='historicalservicecomplaint',
            old_name='request',
            new_name='service_request',
        ),
        migrations.RenameField(
            model_name='servicecomplaint',
            old_name='request',
            new_name='service_request',
        ),
        migrations.AddConstraint(
            model_name='followup',
            constraint=models.UniqueConstraint(fields=('service_request', 'resolved_at'), name='uniq_followup_request_resolution'),
        ),
    ]

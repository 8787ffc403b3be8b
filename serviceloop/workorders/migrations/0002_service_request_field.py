# The ServiceRequest foreign key `request` renamed `service_request` (issue 8). The index and unique
# constraints that name the field are dropped and built again on the renamed column.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('workorders', '0001_initial'),
    ]

    operations = [
        migrations.RenameField(
            model_name='historicalworkorder',
            old_name='request',
            new_name='service_request',
        ),
        migrations.RenameField(
            model_name='workorder',
            old_name='request',
            new_name='service_request',
        ),
    ]

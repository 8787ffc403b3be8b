# Help requests get timeline verbs of their own (issue 9): the approval of a help request was stored as
# "approve" / "reject", which the timeline shows as "dispatch approved" / "dispatch returned" (the work
# order's verbs). The stored entries of help requests are renamed; a work order's own entries stay.

from django.db import migrations

RENAMED = {"approve": "help_approved", "reject": "help_rejected"}


def _rename(apps, mapping):
    ContentType = apps.get_model("contenttypes", "ContentType")
    TimelineEvent = apps.get_model("core", "TimelineEvent")
    ct = ContentType.objects.filter(app_label="workorders", model="helprequest").first()
    if ct is None:  # a new database: no help request was ever recorded
        return
    for old, new in mapping.items():
        TimelineEvent.objects.filter(content_type_id=ct.pk, verb=old).update(verb=new)


def forwards(apps, schema_editor):
    _rename(apps, RENAMED)


def backwards(apps, schema_editor):
    _rename(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):

    dependencies = [
        ("workorders", "0002_service_request_field"),
        ("core", "0005_notification_delivery"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

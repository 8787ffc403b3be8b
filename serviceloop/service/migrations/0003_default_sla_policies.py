"""Default SLA policies (服务时限): a default for everything, tighter targets for major and severe faults.

Working minutes; a working day is 8 hours (08:30-12:00, 13:00-17:30). Seed 003 §5.2.1: the engineer
calls the customer within 1 hour of dispatch; seed 001 §4.6: the plan is decided within 3 working days.
"""

from django.db import migrations

POLICIES = [
    # name, severity, first response, contact, plan, on-site, resolution, default
    ("默认服务时限", "", 120, 60, 1440, 1440, 4800, True),
    ("重大故障", "major", 30, 60, 480, 480, 1440, False),
    ("严重故障", "severe", 60, 60, 960, 960, 2400, False),
]


def create(apps, schema_editor):
    SlaPolicy = apps.get_model("service", "SlaPolicy")
    for name, severity, first, contact, plan, onsite, resolution, default in POLICIES:
        SlaPolicy.objects.get_or_create(name=name, defaults={
            "severity": severity, "first_response_minutes": first, "engineer_contact_minutes": contact,
            "plan_decided_minutes": plan, "onsite_arrival_minutes": onsite, "resolution_minutes": resolution,
            "is_default": default, "active": True,
        })


def remove(apps, schema_editor):
    apps.get_model("service", "SlaPolicy").objects.filter(name__in=[p[0] for p in POLICIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("service", "0002_resolution_confirmation")]
    operations = [migrations.RunPython(create, remove)]

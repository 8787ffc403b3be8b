# Indexes found with bench/run_requests.py (EXPLAIN ANALYZE on 1M requests, 100k open); the same lines are in
# ServiceRequest.Meta.indexes. Both are partial: only open requests (~10 % of the rows) are in them.

from django.db import migrations, models

OPEN = ('new', 'under_review', 'plan_proposed', 'plan_confirmed', 'in_progress')


def refresh_sqlite_statistics(apps, schema_editor):
    """SQLite: if the database has statistics (ANALYZE was run), gather them for the new indexes too
    (an index without statistics next to indexes with statistics looks far more selective than it is)."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("ANALYZE service_servicerequest")


class Migration(migrations.Migration):

    dependencies = [
        ('service', '0003_default_sla_policies'),
    ]

    operations = [
        # desk queue: open requests in deadline order (ORDER BY sla_due_at NULLS LAST, id) read from the
        # index and stopped after one page, instead of sorting all 100k open requests for every page
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(condition=models.Q(('status__in', OPEN)), fields=['sla_due_at', 'id'],
                               name='request_open_due'),
        ),
        # SLA task: open requests in primary-key chunks (id > last ORDER BY id LIMIT 2000) without walking
        # the 900k finished requests in between
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(condition=models.Q(('status__in', OPEN)), fields=['id'], name='request_open_id'),
        ),
        # search: the request number prefix OR the contact-phone prefix OR ...; with an index on each part
        # PostgreSQL ORs the indexes (BitmapOr) instead of scanning the open requests (110 ms -> 1 ms)
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['contact_phone'], name='request_contact_phone', opclasses=['varchar_pattern_ops']),
        ),
        migrations.RunPython(refresh_sqlite_statistics, migrations.RunPython.noop),
    ]

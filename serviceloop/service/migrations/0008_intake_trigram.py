# PostgreSQL only: trigram indexes for the intake search's substring matches (issue 9): the caller reads
# the last digits of the serial number or of a phone, or says a contact's name.
# - serial_number LIKE '%0042%' (Django `contains` on the upper-case serial)          -> unit_serial_trgm
# - contact phone / customer phone LIKE '%5678%' (`contains`, the last digits too)    -> *_phone_trgm
# - UPPER(contact name) LIKE UPPER('%王%') (`icontains`)                              -> contact_name_trgm
# SQLite has no GIN (its LIKE scans), so they are created here and only on PostgreSQL; without the
# privilege to create pg_trgm they are skipped and the search still works, by a scan.

from django.db import migrations, transaction

INDEXES = {
    "unit_serial_trgm": 'assets_unit USING gin ("serial_number" gin_trgm_ops)',
    "contact_phone_trgm": 'customers_contact USING gin ("phone" gin_trgm_ops)',
    "contact_name_trgm": 'customers_contact USING gin (UPPER("name"::text) gin_trgm_ops)',
    "customer_phone_trgm": 'customers_customer USING gin ("phone" gin_trgm_ops)',
}


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as exc:  # no privilege: go on without the trigram indexes
            print(f"\n  pg_trgm not available ({exc}); the intake's substring search stays a sequential scan")
            return
        for name, target in INDEXES.items():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
        for table in ("assets_unit", "customers_contact", "customers_customer"):
            cursor.execute(f"ANALYZE {table}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("assets", "0003_bench_indexes"),
        ("customers", "0003_bench_indexes"),
        ("service", "0007_desk_items"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]

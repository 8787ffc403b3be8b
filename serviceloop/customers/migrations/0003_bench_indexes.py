# PostgreSQL only: indexes for the customer part of the unit/customer search (bench/RESULTS.md).
# - a trigram GIN index on UPPER(name) serves `name__icontains` (Django: UPPER(name::text) LIKE UPPER(%s))
#   for search texts of 3+ characters (pg_trgm also indexes Chinese characters in a UTF-8 database);
# - a btree on UPPER(code) serves `code__iexact`.
# Neither can be written in Meta.indexes for both databases (SQLite has no GIN, and its icontains/iexact
# are LIKE, which these would not serve), so they are created here and only on PostgreSQL.
# Without the privilege to create the pg_trgm extension the trigram index is skipped (search still works,
# by a sequential scan of the customers).

from django.db import migrations, transaction


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE INDEX IF NOT EXISTS customer_code_upper ON customers_customer (UPPER("code"::text))'
        )
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as exc:  # no privilege: go on without the trigram index
            print(f"\n  pg_trgm not available ({exc}); customer name search stays a sequential scan")
            return
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS customer_name_trgm ON customers_customer "
            'USING gin (UPPER("name"::text) gin_trgm_ops)'
        )
        # statistics on the indexed expressions, so the planner can estimate a name match at once
        cursor.execute("ANALYZE customers_customer")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS customer_name_trgm")
        cursor.execute("DROP INDEX IF EXISTS customer_code_upper")


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0002_search_indexes'),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]

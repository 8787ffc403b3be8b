"""The cache stamp moved to core (core/migrations/0004_cache_stamp): forget the model, keep its table."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_cache_stamp'),
        ('core', '0004_cache_stamp'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='CacheStamp')],
            database_operations=[],
        ),
    ]

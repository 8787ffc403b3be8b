"""The cache stamp moves from accounts to core (core/stamps.py): the model only, its table stays."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_notification'),
        ('accounts', '0003_cache_stamp'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CacheStamp',
                    fields=[
                        ('id', models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
                        ('value', models.CharField(max_length=32, verbose_name='value')),
                    ],
                    options={
                        'verbose_name': 'cache stamp',
                        'verbose_name_plural': 'cache stamps',
                        'db_table': 'accounts_cachestamp',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

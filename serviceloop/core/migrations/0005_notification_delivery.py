"""The notification outbox: one delivery row per (notification, channel). What ``channels_sent`` recorded
becomes delivered rows (the time is unknown: the notification's); the column goes."""

import uuid

import django.db.models.deletion
from django.db import migrations, models


def copy_channels_sent(apps, schema_editor):
    Notification = apps.get_model("core", "Notification")
    Delivery = apps.get_model("core", "NotificationDelivery")
    batch = []
    rows = Notification.objects.exclude(channels_sent=[]).values_list("pk", "created_at", "channels_sent")
    for pk, created_at, sent in rows.iterator(chunk_size=2000):
        for channel in dict.fromkeys(sent or []):
            batch.append(Delivery(notification_id=pk, channel=str(channel)[:40], idempotency_key=uuid.uuid4().hex,
                                  status="delivered", created_at=created_at, next_attempt_at=created_at,
                                  attempts=1, last_attempt_at=created_at, delivered_at=created_at))
        if len(batch) >= 2000:
            Delivery.objects.bulk_create(batch)
            batch = []
    Delivery.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_cache_stamp'),
    ]

    operations = [
        migrations.CreateModel(
            name='NotificationDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('channel', models.CharField(max_length=40, verbose_name='channel')),
                ('idempotency_key', models.CharField(max_length=64, unique=True, verbose_name='idempotency key')),
                ('status', models.CharField(choices=[('pending', 'pending'), ('delivered', 'delivered'), ('skipped', 'nothing to send'), ('failed', 'given up')], default='pending', max_length=12, verbose_name='status')),
                ('created_at', models.DateTimeField(verbose_name='created at')),
                ('next_attempt_at', models.DateTimeField(verbose_name='next attempt at')),
                ('attempts', models.PositiveIntegerField(default=0, verbose_name='attempts')),
                ('last_attempt_at', models.DateTimeField(blank=True, null=True, verbose_name='last attempt at')),
                ('last_error', models.TextField(blank=True, verbose_name='last error')),
                ('lease_until', models.DateTimeField(blank=True, null=True, verbose_name='claimed until')),
                ('lease_token', models.CharField(blank=True, max_length=32, verbose_name='claim')),
                ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='delivered at')),
                ('notification', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='core.notification', verbose_name='notification')),
            ],
            options={
                'verbose_name': 'notification delivery',
                'verbose_name_plural': 'notification deliveries',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='delivery_status_due'), models.Index(fields=['delivered_at'], name='delivery_delivered_at')],
                'constraints': [models.UniqueConstraint(fields=('notification', 'channel'), name='uniq_delivery_notification_channel')],
            },
        ),
        migrations.RunPython(copy_channels_sent, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='notification',
            name='channels_sent',
        ),
    ]

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Every complaint has its customer (filled in by 0003): the column becomes required."""

    dependencies = [
        ("customers", "0003_bench_indexes"),
        ("feedback", "0003_complaint_workflow"),
    ]

    operations = [
        migrations.AlterField(
            model_name="servicecomplaint",
            name="customer",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="service_complaints",
                to="customers.customer", verbose_name="customer",
            ),
        ),
    ]

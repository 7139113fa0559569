"""Alpaca API ids, step 1 of 3: the column, nullable. A default here would give every existing row
the same uuid (AddField evaluates it once), which the unique step would then refuse."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("trading", "0004_order_events_ticks_lease")]

    operations = [
        migrations.AddField(model_name="order", name="public_id", field=models.UUIDField(editable=False, null=True)),
    ]

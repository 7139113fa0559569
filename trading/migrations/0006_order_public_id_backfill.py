"""Alpaca API ids, step 2 of 3: a uuid4 of its own for every existing row."""

import uuid

from django.db import migrations

BATCH = 1000


def backfill(apps, schema_editor):
    Model = apps.get_model("trading", "Order")
    while ids := list(Model.objects.filter(public_id__isnull=True).values_list("pk", flat=True)[:BATCH]):
        Model.objects.bulk_update([Model(pk=pk, public_id=uuid.uuid4()) for pk in ids], ["public_id"])


class Migration(migrations.Migration):
    dependencies = [("trading", "0005_order_public_id_add")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]

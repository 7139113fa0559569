"""Alpaca API ids, step 3 of 3: required and unique; new rows get a uuid4 from the model's default."""

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("watchlist", "0004_watchlist_public_id_backfill")]

    operations = [
        migrations.AlterField(
            model_name="watchlist",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]

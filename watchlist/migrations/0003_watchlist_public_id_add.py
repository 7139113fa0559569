"""Alpaca API ids, step 1 of 3: the column, nullable. A default here would give every existing row
the same uuid (AddField evaluates it once), which the unique step would then refuse."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("watchlist", "0002_default_lists")]

    operations = [
        migrations.AddField(
            model_name="watchlist", name="public_id", field=models.UUIDField(editable=False, null=True)
        ),
    ]

from django.db import migrations

# Frozen: the name the first list had when this migration was written.
DEFAULT_WATCHLIST_NAME = "관심종목"


def create_default_lists(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Watchlist = apps.get_model("watchlist", "Watchlist")
    without = User.objects.filter(watchlists__isnull=True).values_list("pk", flat=True)
    Watchlist.objects.bulk_create(
        [Watchlist(user_id=user_id, name=DEFAULT_WATCHLIST_NAME, position=0) for user_id in without.iterator()],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("watchlist", "0001_initial")]

    operations = [migrations.RunPython(create_default_lists, migrations.RunPython.noop)]

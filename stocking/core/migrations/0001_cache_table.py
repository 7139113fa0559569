from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # Throttle counters live in the database cache by default so every gunicorn worker shares them;
    # creating the table here means `migrate` alone leaves a working app.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = []
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]

from typing import Any

from django.db import migrations


def load(apps: Any, schema_editor: Any) -> None:
    from xuncha.fieldwork import seed

    seed.load(apps)


class Migration(migrations.Migration):
    dependencies = [("fieldwork", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

"""Search keys gain the given name's full pinyin (wenjie for 张文杰): every person's key is
computed again, the same way as in 0007."""

import importlib

from django.db import migrations

recompute = importlib.import_module("xuncha.core.migrations.0007_name_search_mixed_keys").recompute


class Migration(migrations.Migration):
    dependencies = [("core", "0007_name_search_mixed_keys")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]

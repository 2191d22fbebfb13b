"""Search keys gain "surname in full + given name's initials" (zhangwj for 张文杰): every
person's key is computed again."""

from django.db import migrations

from xuncha.core.lib import pinyin


def recompute(apps, schema_editor):
    Person = apps.get_model("core", "Person")
    batch = []
    for person in Person.objects.only("pk", "name", "name_search").iterator(chunk_size=2000):
        key = pinyin.search_text(person.name)
        if key != person.name_search:
            person.name_search = key
            batch.append(person)
        if len(batch) >= 2000:
            Person.objects.bulk_update(batch, ["name_search"])
            batch = []
    if batch:
        Person.objects.bulk_update(batch, ["name_search"])


class Migration(migrations.Migration):
    dependencies = [("core", "0006_scheduled_runs")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]

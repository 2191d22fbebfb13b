"""Seed the specialties (editable): DOMAIN.md's pool sources and the issue's list."""

from django.db import migrations

SPECIALTIES = [
    ("finance", "财务", "Finance"),
    ("audit", "审计", "Audit"),
    ("law", "法律", "Law"),
    ("engineering", "工程建设", "Engineering and construction"),
    ("party-affairs", "党务", "Party affairs"),
    ("discipline", "纪检监察", "Discipline inspection"),
    ("personnel", "组织人事", "Organisation and personnel"),
    ("petitions", "信访", "Petitions"),
    ("it", "信息技术", "Information technology"),
]


def seed(apps, schema_editor):
    Specialty = apps.get_model("talent", "Specialty")
    for code, zh, en in SPECIALTIES:
        Specialty.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en})


class Migration(migrations.Migration):
    dependencies = [("talent", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

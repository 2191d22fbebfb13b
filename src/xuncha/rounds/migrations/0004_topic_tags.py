"""Seed the topic tags of DOMAIN.md (editable later)."""

from django.db import migrations

TOPICS = [
    ("eight-rules", "八项规定精神和“四风”", "Eight-point rules and the four forms of decadence"),
    ("land-construction", "土地和工程建设", "Land and construction"),
    ("three-assets", "农村集体“三资”", "Village collective funds, assets and resources"),
    ("agri-funds", "惠农资金", "Agricultural and benefit funds"),
    ("enforcement", "执法窗口", "Enforcement windows"),
    ("cadre-selection", "选人用人", "Cadre selection"),
    ("petitions", "信访反映", "Petitions"),
    ("organisation", "基层组织建设", "Grassroots Party organisation"),
]


def seed(apps, schema_editor):
    TopicTag = apps.get_model("rounds", "TopicTag")
    for code, zh, en in TOPICS:
        TopicTag.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en})


class Migration(migrations.Migration):
    dependencies = [("rounds", "0003_briefings_profiles")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

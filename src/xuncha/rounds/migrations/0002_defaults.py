"""Seed the configurable defaults: focus areas (DOMAIN.md) and stage durations per kind."""

from django.db import migrations

FOCUS_AREAS = [
    (
        "party-line",
        "党的路线方针政策和党中央决策部署在基层的落实",
        "The Party line and central decisions at the grassroots",
    ),
    (
        "grassroots-corruption",
        "群众身边的腐败问题和不正之风",
        "Corruption and misconduct close to the people",
    ),
    ("weak-organisation", "基层党组织软弱涣散、组织力欠缺", "Weak or lax Party organisations"),
    ("cadre-selection", "选人用人和干部队伍建设", "Cadre selection and management"),
    ("three-assets", "农村集体“三资”管理", "Village collective funds, assets and resources"),
    (
        "benefit-policies",
        "惠民富民政策落实（低保、特困供养等）",
        "Benefit policies (minimum income, destitute support)",
    ),
    ("elections-clans", "村级换届选举和宗族势力干扰", "Village elections and clan influence"),
    ("organised-crime", "黑恶势力及其“保护伞”", "Gangs and their protectors"),
    (
        "eight-rules",
        "中央八项规定精神和“四风”问题",
        "The eight-point rules and the four forms of decadence",
    ),
    ("rectification", "以往巡视巡察整改落实情况", "Rectification of earlier inspections"),
]

# (stage, length, unit) per kind: DOMAIN.md's typical durations as editable defaults.
DURATIONS = {
    "routine": [
        ("preparation", 20, "days"),
        ("stationing", 3, "workdays"),
        ("understanding", 35, "days"),
        ("report", 30, "days"),
        ("feedback", 15, "days"),
        ("handover", 15, "days"),
        ("rectification", 60, "days"),
        ("supervision", 90, "days"),
    ],
    "thematic": [
        ("preparation", 15, "days"),
        ("stationing", 2, "workdays"),
        ("understanding", 25, "days"),
        ("report", 20, "days"),
        ("feedback", 10, "days"),
        ("handover", 10, "days"),
        ("rectification", 60, "days"),
        ("supervision", 90, "days"),
    ],
    "mobile": [
        ("preparation", 7, "days"),
        ("stationing", 1, "workdays"),
        ("understanding", 15, "days"),
        ("report", 15, "days"),
        ("feedback", 10, "days"),
        ("handover", 10, "days"),
        ("rectification", 60, "days"),
        ("supervision", 60, "days"),
    ],
    "village": [
        ("preparation", 15, "days"),
        ("stationing", 2, "workdays"),
        ("understanding", 45, "days"),
        ("report", 30, "days"),
        ("feedback", 15, "days"),
        ("handover", 15, "days"),
        ("rectification", 60, "days"),
        ("supervision", 90, "days"),
    ],
    "lookback": [
        ("preparation", 10, "days"),
        ("stationing", 2, "workdays"),
        ("understanding", 22, "days"),
        ("report", 20, "days"),
        ("feedback", 10, "days"),
        ("handover", 10, "days"),
        ("rectification", 60, "days"),
        ("supervision", 60, "days"),
    ],
}


def seed(apps, schema_editor):
    FocusArea = apps.get_model("rounds", "FocusArea")
    StageDuration = apps.get_model("rounds", "StageDuration")
    for code, zh, en in FOCUS_AREAS:
        FocusArea.objects.get_or_create(code=code, defaults={"name_zh": zh, "name_en": en})
    for kind, rows in DURATIONS.items():
        for stage, length, unit in rows:
            StageDuration.objects.get_or_create(
                kind=kind, stage=stage, defaults={"length": length, "unit": unit}
            )


class Migration(migrations.Migration):
    dependencies = [("rounds", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

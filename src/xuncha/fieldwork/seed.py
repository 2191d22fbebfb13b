"""Reference data a new installation starts from: the methods of work (DOMAIN.md: 12 named
plus covert visits and opening the mailbox), the default coverage minimums and the
default question bank. Loaded by a data migration; the office edits them afterwards."""

from __future__ import annotations

from typing import Any

# code, number, zh, en, min participants, needs approval, documents, households, results
METHODS: tuple[tuple[str, int | None, str, str, int, bool, bool, bool, bool], ...] = (
    (
        "hear_reports",
        1,
        "听取汇报",
        "Hear work and thematic reports",
        1,
        False,
        False,
        False,
        False,
    ),
    ("individual_talk", 2, "个别谈话", "Individual talks", 2, False, False, False, False),
    ("letters_visits", 3, "受理信访", "Letters, calls and visits", 1, False, False, False, False),
    (
        "personal_matters",
        4,
        "抽查领导干部个人有关事项报告",
        "Spot-check leaders' personal-matters reports",
        1,
        False,
        True,
        False,
        False,
    ),
    (
        "ask_informed",
        5,
        "询问知情人",
        "Question people with knowledge",
        2,
        False,
        False,
        False,
        False,
    ),
    ("read_documents", 6, "调阅资料", "Read and copy documents", 1, False, True, False, False),
    ("forum", 7, "召开座谈会", "Forums", 1, False, False, False, False),
    ("sit_in", 8, "列席会议", "Sit in on meetings", 1, False, False, False, False),
    (
        "questionnaire",
        9,
        "民主测评和问卷调查",
        "Democratic evaluation and questionnaires",
        1,
        False,
        False,
        False,
        True,
    ),
    ("field_visit", 10, "走访调研", "Field visits", 1, False, False, True, False),
    ("special_check", 11, "专项检查", "Special checks", 1, False, True, False, False),
    (
        "ask_help",
        12,
        "提请有关单位予以协助",
        "Ask other units for help",
        1,
        False,
        False,
        False,
        False,
    ),
    ("covert_visit", None, "明察暗访", "Covert visits", 2, True, False, True, False),
    ("open_mailbox", None, "开启意见箱", "Open the mailbox", 2, False, False, False, False),
)

VISITS = (
    "visit_deputies",
    "visit_veterans",
    "visit_notables",
    "visit_minimum_income",
    "visit_difficulty",
    "visit_petitioners",
)
TALKS = (
    "talk_secretary",
    "talk_director",
    "talk_supervision",
    "talk_accountant",
    "talk_first_secretary",
    "talk_former_cadre",
)

# profile, method code, group, minimum (per target).
MINIMUMS: tuple[tuple[str, str, str, int], ...] = (
    ("unit", "hear_reports", "", 1),
    ("unit", "individual_talk", "", 10),
    ("unit", "read_documents", "", 1),
    ("unit", "forum", "", 1),
    ("unit", "questionnaire", "", 1),
    ("unit", "field_visit", "", 1),
    ("village", "hear_reports", "", 1),
    ("village", "read_documents", "", 1),
    ("village", "forum", "", 1),
    *(("village", "field_visit", g, 1) for g in VISITS),
    *(("village", "individual_talk", g, 1) for g in TALKS),
)


def load(apps: Any) -> None:
    from xuncha.fieldwork.lib.question_bank import DEFAULT_BANK

    Method = apps.get_model("fieldwork", "Method")
    Minimum = apps.get_model("fieldwork", "CoverageMinimum")
    Question = apps.get_model("fieldwork", "Question")
    methods = {}
    for order, (code, number, zh, en, people, approval, docs, homes, results) in enumerate(METHODS):
        methods[code], _ = Method.objects.update_or_create(
            code=code,
            defaults={
                "number": number,
                "name_zh": zh,
                "name_en": en,
                "min_participants": people,
                "needs_approval": approval,
                "records_documents": docs,
                "records_households": homes,
                "records_results": results,
                "order": (order + 1) * 10,
            },
        )
    for profile, code, group, minimum in MINIMUMS:
        Minimum.objects.get_or_create(
            committee=None,
            profile=profile,
            method=methods[code],
            group=group,
            defaults={"minimum": minimum},
        )
    for q in DEFAULT_BANK:
        Question.objects.get_or_create(
            code=q.id,
            defaults={
                "focus_area": q.focus_area,
                "roles": list(q.roles),
                "profiles": list(q.profiles),
                "text_zh": q.text_zh,
                "text_en": q.text_en,
            },
        )

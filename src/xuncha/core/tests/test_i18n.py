"""Punctuation that follows the language: lists and clauses in running text, in Python,
in templates and in the algorithms' translatable sentences."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext, ngettext

from xuncha.core import i18n
from xuncha.core.lib.text import Joined, Text, ngettext_noop, render_text


def test_lists_and_clauses_follow_the_language() -> None:
    with translation.override("zh-hans"):
        assert i18n.enumeration(["财务", "审计"]) == "财务、审计"
        assert i18n.clauses(["甲", "乙"]) == "甲；乙"
    with translation.override("en"):
        assert i18n.enumeration(["Finance", "Audit"]) == "Finance, Audit"
        assert i18n.clauses(["a", "b"]) == "a; b"
    assert i18n.enumeration([]) == ""


def test_alternatives_follow_the_language() -> None:
    with translation.override("zh-hans"):
        assert i18n.alternatives(["组长", "副组长"]) == "组长或副组长"
        assert i18n.alternatives(["甲", "乙", "丙"]) == "甲、乙或丙"
    with translation.override("en"):
        assert i18n.alternatives(["leader", "deputy leader"]) == "leader or deputy leader"
        assert i18n.alternatives(["a", "b", "c"]) == "a, b or c"
        assert i18n.alternatives(["member"]) == "member"
    assert i18n.alternatives([]) == ""


def test_the_template_filter_enumerates_in_the_active_language() -> None:
    template = Template('{% load xuncha %}{{ items|enumeration|default:"—" }}')
    with translation.override("zh-hans"):
        assert template.render(Context({"items": ["财务", "审计"]})) == "财务、审计"
    with translation.override("en"):
        assert template.render(Context({"items": ["Finance", "Audit"]})) == "Finance, Audit"
        assert template.render(Context({"items": []})) == "—"


def test_joined_lists_in_sentences_take_the_languages_separators() -> None:
    node = Text(
        "%(names)s: %(why)s",
        names=Joined(("甲", "乙"), ", "),
        why=Joined(("x", "y"), "; "),
    ).to_json()
    with translation.override("zh-hans"):
        assert render_text(node, gettext) == "甲、乙: x；y"
    with translation.override("en"):
        assert render_text(node, gettext) == "甲, 乙: x; y"
    # Without a translator (the CLI, the JSON files) the separators stay as written.
    assert render_text(node) == "甲, 乙: x; y"
    # A separator not in the catalogue's list is left alone.
    assert render_text(Joined(("a", "b"), " / ").to_json(), gettext) == "a / b"


def test_plural_templates_take_the_form_the_count_asks_for() -> None:
    people = ngettext_noop("%(n)s person", "%(n)s people")
    one, three = Text(people, n=1).to_json(), Text(people, n=3).to_json()
    # Untranslated (the CLI, the JSON files): English's two forms.
    assert (render_text(one), render_text(three)) == ("1 person", "3 people")
    assert render_text(Text(people, n=0).to_json()) == "0 people"
    with translation.override("en"):
        assert render_text(three, gettext, ntranslate=ngettext) == "3 people"
    with translation.override("zh-hans"):
        assert render_text(one, gettext, ntranslate=ngettext) == "1人"
        # A counted noun inside a sentence, the count named by the template.
        node = Text(
            ngettext_noop("%(name)s (%(k)s round)", "%(name)s (%(k)s rounds)", "k"),
            name="甲",
            k=2,
        ).to_json()
        assert node["c"] == "k"
    assert render_text(node) == "甲 (2 rounds)"
    assert render_text({**node, "p": {"name": "甲", "k": 1}}) == "甲 (1 round)"
    # Stored before a template took plural forms: rendered as it was.
    assert render_text({"t": "%(n)s people", "p": {"n": 1}}) == "1 people"
    with pytest.raises(TypeError, match="integer parameter 'n'"):
        Text(people, n="3")


def test_several_messages_on_one_line_end_with_one_full_stop() -> None:
    with translation.override("zh-hans"):
        assert i18n.sentences(["这个字段是必填项。", "请输入一个数字。"]) == (
            "这个字段是必填项；请输入一个数字。"
        )
        assert i18n.labelled("课程", "必填") == "课程：必填"
    with translation.override("en"):
        assert i18n.sentences(["This field is required.", "Enter a number."]) == (
            "This field is required; Enter a number."
        )
        assert i18n.labelled("Course", "required") == "Course: required"
    assert i18n.sentences([]) == ""
    with translation.override("zh-hans"):
        assert i18n.paragraph(["未保存。", "甲不能担任组长。"]) == "未保存。甲不能担任组长。"
    with translation.override("en"):
        assert i18n.paragraph(["Not saved.", " A cannot lead. ", ""]) == "Not saved. A cannot lead."

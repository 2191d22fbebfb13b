"""Both languages are complete: every string in the code is in the catalogues, every
entry is translated (no fuzzy ones), and the compiled catalogues match their sources."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse

import xuncha

PACKAGE = Path(xuncha.__file__).parent
LOCALES = {"zh_Hans": "zh-hans", "en": "en"}


def _parse_po(path: Path) -> dict[str, dict]:
    """key -> {"msgid", "context", "msgstr": [...], "fuzzy", "plural"} for a .po file (no
    external tools); the key is the msgid, or ``context\x04msgid`` as gettext keys it."""
    entries: dict[str, dict] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [ln for ln in block.splitlines() if ln.strip() and not ln.startswith("#~")]
        if not any(ln.startswith("msgid ") for ln in lines):
            continue
        fuzzy = any(ln.startswith("#,") and "fuzzy" in ln for ln in lines)
        fields: dict[str, str] = {}
        key = ""
        for ln in lines:
            if ln.startswith("#"):
                continue
            m = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) (".*")$', ln)
            if m:
                key = m.group(1)
                fields[key] = ast.literal_eval(m.group(2))
            elif ln.startswith('"'):
                fields[key] += ast.literal_eval(ln)
        msgstrs = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
        context = fields.get("msgctxt")
        msgid = fields["msgid"]
        entries[f"{context}\x04{msgid}" if context else msgid] = {
            "msgid": msgid,
            "context": context,
            "msgstr": msgstrs,
            "fuzzy": fuzzy,
            "plural": fields.get("msgid_plural"),
        }
    return entries


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_is_complete(locale):
    entries = _parse_po(PACKAGE / "locale" / locale / "LC_MESSAGES" / "django.po")
    header = entries.pop("")
    assert not header["fuzzy"]
    assert len(entries) > 250
    problems = [mid for mid, e in entries.items() if e["fuzzy"] or not all(e["msgstr"])]
    assert problems == []


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogue_matches_its_source(locale):
    directory = PACKAGE / "locale" / locale / "LC_MESSAGES"
    entries = _parse_po(directory / "django.po")
    entries.pop("")
    with (directory / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        key
        for key, e in entries.items()
        if not e["plural"]
        and (
            compiled.pgettext(e["context"], e["msgid"])
            if e["context"]
            else compiled.gettext(e["msgid"])
        )
        != e["msgstr"][0]
    ]
    assert stale == [], "run `make messages` to recompile"


_TEMPLATE_STRING = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.+?)\1""")
_CODE_STRING = re.compile(r"""\b(?:_|gettext|gettext_lazy)\(\s*(["'])(.+?)\1\s*[,)]""")


def test_every_marked_string_is_in_the_catalogue():
    entries = _parse_po(PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    known = {e["msgid"] for e in entries.values()}
    found: set[str] = set()
    for path in PACKAGE.rglob("*.html"):
        found |= {m.group(2) for m in _TEMPLATE_STRING.finditer(path.read_text(encoding="utf-8"))}
    for path in PACKAGE.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        found |= {m.group(2) for m in _CODE_STRING.finditer(path.read_text(encoding="utf-8"))}
    missing = sorted(
        s
        for s in found
        if s.encode().decode("unicode_escape", "ignore") not in known and s not in known
    )
    assert missing == [], "run `make messages` and translate"


def _plural_markers(path: Path) -> set[tuple[str, str]]:
    """(singular, plural) of every ``ngettext_noop("…", "…")`` call in a module; the
    strings are often split over lines, so the code is parsed, not searched."""
    found: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "ngettext_noop"
            and len(node.args) >= 2
            and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args[:2])
        ):
            found.add((node.args[0].value, node.args[1].value))
    return found


@pytest.mark.parametrize("locale", LOCALES)
def test_plural_templates_of_the_pure_modules_are_in_the_catalogue(locale):
    """``ngettext_noop`` is not one of xgettext's keywords: the project's ``makemessages``
    adds it. Without that, these templates would silently stay English."""
    entries = _parse_po(PACKAGE / "locale" / locale / "LC_MESSAGES" / "django.po")
    found: set[tuple[str, str]] = set()
    for path in PACKAGE.rglob("*.py"):
        if "tests" not in path.parts and "migrations" not in path.parts:
            found |= _plural_markers(path)
    assert len(found) >= 5
    missing = sorted(
        pair
        for pair in found
        if pair[0] not in entries
        or entries[pair[0]]["plural"] != pair[1]
        or not all(entries[pair[0]]["msgstr"])
    )
    assert missing == [], "run `make messages` and translate"


def test_pages_render_in_both_languages(as_user):
    client = as_user(None)
    chinese = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<html lang="zh-hans">' in chinese and "登录" in chinese
    # Each language offered in its own words, findable by those who do not read the other.
    assert re.search(r'data-testid="lang-en" lang="en">\s*English\s*<', chinese)
    assert "英语" not in chinese
    english = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in english and "Log in" in english and "登录" not in english


def test_language_switch_is_remembered(as_user):
    client = as_user("office")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("core:person_list")).content.decode()
    assert "People" in page and '<html lang="en">' in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "人员" in client.get(reverse("core:person_list")).content.decode()


def test_djangos_own_messages_end_the_chinese_way():
    """Django's catalogue ends some Chinese messages with ".": Xuncha's overrides them."""
    from django import forms
    from django.utils import translation

    field = forms.DecimalField(max_digits=6, decimal_places=1)
    with translation.override("zh-hans"):
        for value, stop in (("1.25", "位。"), ("1234567", "个数字。")):
            with pytest.raises(forms.ValidationError) as refused:
                field.clean(value)
            said = refused.value.messages[0]
            assert said.endswith(stop) and not said.endswith("."), said
        # A text box's length limit in plain words and Chinese brackets, not "该变量".
        with pytest.raises(forms.ValidationError) as refused:
            forms.CharField(max_length=3).clean("四个汉字")
        assert refused.value.messages == ["最多 3 个字（现有 4 个）。"]
        with pytest.raises(forms.ValidationError) as refused:
            forms.CharField(min_length=2).clean("一")
        assert refused.value.messages == ["至少 2 个字（现有 1 个）。"]

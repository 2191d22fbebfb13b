"""The page shell in a real browser: sign-in, navigation, chart, language, phone layout,
and the promise that a page talks only to its own server and breaks no CSP rule."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Watched, browser_db

pytestmark = [pytest.mark.browser, browser_db]

CJK = re.compile(r"[\u4e00-\u9fff]")


# --- helpers ---------------------------------------------------------------------------


def _html_lang(w: Watched) -> str:
    return w.page.get_attribute("html", "lang") or ""


def _button_active(w: Watched, code: str) -> bool:
    classes = w.page.get_attribute(f"[data-testid=lang-{code}]", "class") or ""
    return "btn-secondary" in classes.split() and "btn-outline-secondary" not in classes.split()


def _switch_language_in_user_menu(w: Watched, code: str) -> None:
    w.page.click("[data-testid=user-menu]")
    w.page.wait_for_selector(f"[data-testid=lang-{code}]", state="visible")
    with w.page.expect_navigation():
        w.page.click(f"[data-testid=lang-{code}]")


def _wait_for_chart(w: Watched) -> None:
    w.page.wait_for_selector("#chart-orgs[data-rendered='true']", state="attached")
    w.page.wait_for_selector("#chart-orgs svg", state="attached")


def _settle(w: Watched) -> None:
    """Fonts loaded and chart animations (about 1 s in ECharts) over, before a screenshot."""
    w.page.evaluate("() => document.fonts.ready.then(() => true)")
    w.page.wait_for_timeout(1200)


def _translated(msgid: str, language: str = "zh-hans") -> str | None:
    """The translation of ``msgid`` in the running process, or None if it has none yet."""
    from django.utils import translation

    with translation.override(language):
        text = translation.gettext(msgid)
    return text if text != msgid else None


def _searchable_person(username: str) -> tuple[Any, str]:
    """A person the user can see, with pinyin initials that find few people (zwj-style)."""
    from xuncha.core import selectors
    from xuncha.core.lib.pinyin import search_text
    from xuncha.core.models import User

    user = User.objects.get(username=username)
    best: tuple[int, Any, str] | None = None
    for person in selectors.people_for(user).order_by("pk")[:200]:
        keys = search_text(person.name).split()
        if len(person.name) != 3 or len(keys) < 2:
            continue
        initials = keys[1]  # search_text lists full pinyin, then initials, per reading
        if len(initials) != 3:
            continue
        hits = selectors.people_for(user, q=initials).count()
        if best is None or hits < best[0]:
            best = (hits, person, initials)
        if hits == 1:
            break
    assert best is not None, f"no three-character name visible to {username} in the demo"
    return best[1], best[2]


# --- (1) sign in, home, chart, registry menu, pinyin search, detail ---------------------


def test_login_home_chart_and_pinyin_search(open_page: Callable[..., Watched]) -> None:
    person, initials = _searchable_person("office")
    w = open_page()
    w.login("office")
    page = w.page

    assert page.url.rstrip("/") == w.base_url, page.url
    assert page.locator("[data-testid=workflow-nav]").is_visible()
    from xuncha.core.context_processors import WORKFLOW

    assert page.locator("[data-testid=workflow-nav] li").count() == len(WORKFLOW)
    _wait_for_chart(w)
    assert page.get_attribute("#chart-orgs", "data-rendered") == "true"
    assert page.get_attribute("#chart-people", "data-rendered") == "true"
    assert int(page.inner_text("[data-testid=people-count]")) > 0

    page.click("[data-testid=registry-menu]")
    with page.expect_navigation():
        page.click("[data-testid=nav-people]")
    assert page.url.endswith("/people/"), page.url

    page.fill("#id_q", initials)
    with page.expect_navigation():
        page.press("#id_q", "Enter")
    assert f"q={initials}" in page.url
    link = page.locator(f"[data-testid=data-table] a[href='/people/{person.pk}/']")
    assert link.count() == 1, f"{person.name} ({initials}) not in the search result"
    names = page.locator("[data-testid=data-table] tbody tr td:first-child").all_inner_texts()
    assert person.name in names

    with page.expect_navigation():
        link.click()
    assert page.url.endswith(f"/people/{person.pk}/")
    assert person.name in page.inner_text("[data-testid=person-name]")


# --- (2) language switch ---------------------------------------------------------------

# UI strings on the home page and where they show. Whichever of them has a zh-Hans
# translation in the running process is checked after switching back to Chinese.
HOME_STRINGS = [
    ("Records", "[data-testid=registry-menu]"),
    ("Log out", "[data-testid=logout]"),
    ("People you can see", "main"),
    ("Organisations by committee and kind", "main"),
    ("Plan", "[data-testid=workflow-nav]"),
]


def test_language_switch(open_page: Callable[..., Watched]) -> None:
    w = open_page(locale="zh-CN")
    w.login("office")
    page = w.page
    assert _html_lang(w) == "zh-hans"
    assert _button_active(w, "zh-hans") and not _button_active(w, "en")

    _switch_language_in_user_menu(w, "en")
    assert _html_lang(w) == "en"
    assert _button_active(w, "en") and not _button_active(w, "zh-hans")
    english = {msgid: _translated(msgid, "en") or msgid for msgid, _selector in HOME_STRINGS}
    assert english["Log out"] in (page.text_content("[data-testid=logout]") or "")
    assert english["People you can see"] in page.inner_text("main")
    assert page.inner_text("main h1").startswith("Welcome")
    assert not CJK.search(page.inner_text("[data-testid=workflow-nav]"))

    _switch_language_in_user_menu(w, "zh-hans")
    assert _html_lang(w) == "zh-hans"
    assert _button_active(w, "zh-hans") and not _button_active(w, "en")
    checked = []
    for msgid, selector in HOME_STRINGS:
        chinese = _translated(msgid)
        if chinese is None:
            continue
        assert CJK.search(chinese), (msgid, chinese)
        assert chinese in (page.text_content(selector) or ""), (msgid, chinese, selector)
        checked.append(msgid)
    # The zh-Hans catalog (src/xuncha/locale/zh_Hans) translated all of HOME_STRINGS when
    # this was written ("Log out" is 退出登录); the wording is looked up at run time, but at
    # least the shell's own "Log out" must be translated.
    assert "Log out" in checked, f"no zh-Hans translation for 'Log out' (checked: {checked})"


# --- (3) failed sign-in ----------------------------------------------------------------


def test_failed_login_shows_error(open_page: Callable[..., Watched]) -> None:
    from django.contrib.auth.forms import AuthenticationForm
    from django.utils import translation

    w = open_page(locale="zh-CN")
    w.login("member", "not-the-password")
    page = w.page
    assert "/login/" in page.url
    error = page.locator("[data-testid=login-error]")
    assert error.is_visible()
    with translation.override("zh-hans"):
        form = AuthenticationForm()
        expected = str(form.error_messages["invalid_login"]) % {
            "username": form.username_field.verbose_name
        }
    assert " ".join(error.inner_text().split()) == " ".join(expected.split())
    # Django's own zh-Hans catalog translates this message today.
    assert CJK.search(error.inner_text()), error.inner_text()
    assert page.input_value("#id_username") == "member"
    assert page.input_value("#id_password") == ""


# --- (4) logout ------------------------------------------------------------------------


def test_logout_returns_to_login(open_page: Callable[..., Watched]) -> None:
    w = open_page()
    w.login("office")
    page = w.page
    page.click("[data-testid=user-menu]")
    page.wait_for_selector("[data-testid=logout]", state="visible")
    with page.expect_navigation():
        page.click("[data-testid=logout]")
    assert page.url.endswith("/login/"), page.url
    assert page.locator("#id_username").is_visible()
    assert page.locator("[data-testid=user-menu]").count() == 0
    w.goto("/")  # the session is really gone
    assert "/login/" in page.url


# --- (5) phone layout ------------------------------------------------------------------


def test_phone_layout(open_page: Callable[..., Watched], artifacts_dir: Path) -> None:
    w = open_page(viewport=PHONE)
    page = w.page
    w.goto("/login/")
    width, inner = w.no_horizontal_scroll()
    assert width <= inner, f"login page scrolls sideways: {width} > {inner}"

    w.login("office")
    toggler = page.locator(".navbar-toggler")
    assert toggler.is_visible()
    assert not page.locator("[data-testid=workflow-nav]").is_visible()
    _wait_for_chart(w)
    width, inner = w.no_horizontal_scroll()
    assert width <= inner, f"home page scrolls sideways: {width} > {inner}"
    _settle(w)
    page.screenshot(path=str(artifacts_dir / "home-zh-hans-390.png"), full_page=True)

    toggler.click()
    page.wait_for_selector("[data-testid=workflow-nav]", state="visible")
    assert toggler.get_attribute("aria-expanded") == "true"

    w.goto("/people/")
    width, inner = w.no_horizontal_scroll()
    assert width <= inner, f"people list scrolls sideways: {width} > {inner}"


# --- (6) same origin only, no CSP complaints -------------------------------------------


def test_pages_stay_on_own_origin_without_csp_errors(
    open_page: Callable[..., Watched],
) -> None:
    from xuncha.core import selectors
    from xuncha.core.models import User

    office = User.objects.get(username="office")
    person = selectors.people_for(office).order_by("pk").first()
    org = selectors.organisations_for(office).order_by("pk").first()
    assert person is not None and org is not None

    w = open_page()
    w.login("office")
    _wait_for_chart(w)
    paths = [
        "/people/",
        "/people/?q=z",
        f"/people/{person.pk}/",
        "/organisations/",
        f"/organisations/{org.pk}/",
        "/jobs/",
    ]
    for path in paths:
        response = w.goto(path)
        assert response is not None and response.ok, (path, response and response.status)
    w.goto("/")
    _wait_for_chart(w)
    w.page.wait_for_timeout(300)

    assert w.requests, "no request was recorded"
    assert not w.foreign_requests(), w.foreign_requests()
    assert not w.csp_messages(), w.csp_messages()
    assert not w.page_errors, w.page_errors
    assert not w.console_errors(), w.console_errors()


# --- screenshots -----------------------------------------------------------------------


@pytest.mark.parametrize("code", ["zh-hans", "en"])
def test_screenshots_desktop(
    open_page: Callable[..., Watched], artifacts_dir: Path, code: str
) -> None:
    w = open_page(viewport=DESKTOP, locale="zh-CN" if code == "zh-hans" else "en-US")
    page = w.page
    w.goto("/login/")
    # The language form is on the login page too; choose explicitly, whatever the browser says.
    with page.expect_navigation():
        page.click(f"[data-testid=lang-{code}]")
    assert _html_lang(w) == code
    w.login("office")
    assert _html_lang(w) == code
    _wait_for_chart(w)
    _settle(w)
    page.screenshot(path=str(artifacts_dir / f"home-{code}-1280.png"), full_page=True)

    w.goto("/people/")
    page.wait_for_selector("[data-testid=data-table]")
    _settle(w)
    page.screenshot(path=str(artifacts_dir / f"people-{code}-1280.png"), full_page=True)
    width, inner = w.no_horizontal_scroll()
    assert width <= inner, f"people list scrolls sideways at 1280: {width} > {inner}"

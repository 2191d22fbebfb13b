"""The pool's profile page in a real browser: a refused entry comes back with its error at
the field, in view, and the typed input kept (on a phone too); the add form chooses nobody
for the user; removals ask first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE, Watched, browser_db

pytestmark = [pytest.mark.browser, browser_db]


def _in_view(w: Watched, selector: str) -> bool:
    box = w.page.locator(selector).bounding_box()
    height = w.page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


@pytest.mark.parametrize(("viewport", "label"), [(None, "1280"), (PHONE, "phone")])
def test_a_refused_training_entry_shows_its_error_at_the_field(
    open_page: Callable[..., Watched], artifacts_dir: Path, viewport, label
) -> None:
    from xuncha.talent.models import InspectorProfile, TrainingRecord

    profile = InspectorProfile.objects.filter(county__code="C01", in_pool=True).first()
    before = TrainingRecord.objects.filter(profile=profile).count()
    w = open_page(viewport=viewport)
    w.login("office_c1")
    w.goto(f"/pool/{profile.pk}/")
    w.page.fill("#id_training-course", "巡察业务培训")
    w.page.fill("#id_training-hours", "-1")
    w.page.fill("#id_training-date", "2026-03-02")
    with w.page.expect_navigation():
        w.page.click("[data-testid=training-submit]")
    error = w.page.locator("#id_training-hours_error")
    assert error.is_visible() and "0.5" in error.inner_text()
    # The page opens at the training card, so the error is on screen, not above it.
    assert _in_view(w, "#id_training-hours_error")
    assert w.page.input_value("#id_training-course") == "巡察业务培训"
    assert w.page.input_value("#id_training-date") == "2026-03-02"
    assert w.page.get_attribute("#id_training-hours", "aria-invalid") == "true"
    w.page.screenshot(path=str(artifacts_dir / f"profile-training-refused-zh-hans-{label}.png"))
    assert TrainingRecord.objects.filter(profile=profile).count() == before

    w.page.fill("#id_training-hours", "16")
    with w.page.expect_navigation():
        w.page.click("[data-testid=training-submit]")
    assert TrainingRecord.objects.filter(profile=profile).count() == before + 1
    assert w.page.locator("#id_training-hours_error").count() == 0
    # Removing it asks first; dismissing the question keeps the record.
    w.page.once("dialog", lambda dialog: dialog.dismiss())
    w.page.locator("[data-testid=training-delete] button").first.click()
    assert TrainingRecord.objects.filter(profile=profile).count() == before + 1
    assert w.console_errors() == [] and w.page_errors == [] and w.foreign_requests() == []


def test_the_add_form_chooses_nobody_for_the_user(open_page: Callable[..., Watched]) -> None:
    from xuncha.core.models import Person
    from xuncha.talent.models import InspectorProfile

    newcomer = (
        Person.objects.filter(registry__code="C01", inspector__isnull=True).order_by("pk").first()
    )
    w = open_page()
    w.login("office_c1")
    w.goto("/pool/add/")
    with w.page.expect_response(lambda r: "/pool/add/people/" in r.url):
        w.page.fill("#person-search", newcomer.name)
    w.page.wait_for_selector(f"#person-select option[value='{newcomer.pk}']", state="attached")
    assert w.page.input_value("#person-select") == ""
    with w.page.expect_navigation():
        w.page.click("[data-testid=form-submit]")
    assert w.page.locator("[data-testid=form-errors]").count() == 1
    assert not InspectorProfile.objects.filter(person=newcomer).exists()


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_the_profile_fits_a_phone_with_declarations(
    open_page: Callable[..., Watched], artifacts_dir: Path, locale: str
) -> None:
    from xuncha.core.models import Organisation, User
    from xuncha.talent import formation_services
    from xuncha.talent.models import InspectorProfile

    profile = InspectorProfile.objects.filter(county__code="C01", in_pool=True).first()
    # Leader-eligible without a qualification: the heading's longest badge must wrap.
    profile.qualifications.all().delete()
    InspectorProfile.objects.filter(pk=profile.pk).update(leader_eligible=True)
    unit = Organisation.objects.filter(path__startswith=profile.county.path, kind="unit").first()
    formation_services.declaration_record(
        actor=User.objects.get(username="office"),
        profile=profile,
        organisation=unit,
        source="self",
        reason="配偶在该单位任职，担任财务科科长",
    )
    w = open_page(viewport=PHONE, locale=locale)
    w.login("office_c1")
    w.goto(f"/pool/{profile.pk}/#declarations")
    scroll_width, width = w.no_horizontal_scroll()
    assert scroll_width <= width
    assert w.page.locator("[data-testid=leader-not-qualified]").is_visible()
    # The table fits its card: the source goes under the name, headings and names wrap, so
    # the reason is in view without scrolling the table sideways.
    frame = w.page.locator("[data-testid=declarations]").locator("xpath=..")
    inner, box = frame.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert inner <= box, (inner, box)
    w.page.locator("[data-testid=declarations]").scroll_into_view_if_needed()
    reason = w.page.locator("[data-testid=declarations] td", has_text="配偶在该单位任职").first
    cell = reason.bounding_box()
    assert cell is not None and cell["x"] + cell["width"] <= width
    assert w.page.locator("[data-testid=declaration-source-compact]").first.is_visible()
    # Who recorded it and when give way on a phone: Withdraw is in view without scrolling.
    compact = "[data-testid=declaration-delete-compact] button"
    button = w.page.locator(compact).first.bounding_box()
    assert button is not None and button["x"] + button["width"] <= width
    w.page.screenshot(path=str(artifacts_dir / f"profile-declarations-{locale}-phone.png"))


def test_typing_narrows_the_organisations_a_conflict_is_declared_with(
    open_page: Callable[..., Watched],
) -> None:
    from xuncha.talent.models import Declaration, InspectorProfile

    profile = InspectorProfile.objects.filter(county__code="C01", in_pool=True).first()
    w = open_page()
    w.login("office_c1")
    w.goto(f"/pool/{profile.pk}/")
    select = w.page.locator("#id_organisation")
    texts = select.locator("option").all_inner_texts()
    assert len(texts) > 10  # long enough to want narrowing
    wanted = next(t.strip() for t in texts[1:] if "镇" in t)
    w.page.fill("[data-testid=organisation-filter]", wanted)
    shown = select.evaluate(
        "(s) => Array.from(s.options).filter((o) => !o.hidden && o.value).map((o) => o.text)"
    )
    assert shown and all(wanted in t for t in shown) and len(shown) < len(texts) - 1
    # Emptied, the box shows every option again.
    w.page.fill("[data-testid=organisation-filter]", "")
    hidden = select.evaluate("(s) => Array.from(s.options).filter((o) => o.hidden).length")
    assert hidden == 0
    w.page.fill("[data-testid=organisation-filter]", wanted)
    select.select_option(label=wanted)
    w.page.fill("#id_reason", "其配偶在该镇任职")
    with w.page.expect_navigation():
        w.page.click("[data-testid=declaration-submit]")
    assert Declaration.objects.filter(profile=profile, organisation__name=wanted).exists()
    assert not w.page_errors and not w.csp_messages()


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_the_pool_list_fits_a_phone(
    open_page: Callable[..., Watched], artifacts_dir: Path, locale: str
) -> None:
    w = open_page(viewport=PHONE, locale=locale)
    w.login("office")
    # (Filtered by grade or rounds, the column filtered by shows as well and the table
    # may scroll inside its frame, as wide tables do on phones.)
    for query in ("", "?sort=-leader", "?sort=-qualified"):
        w.goto(f"/pool/{query}")
        assert w.page.locator("table tbody tr").count() > 1
        wide = w.page.locator(".table-responsive").evaluate_all(
            "(frames) => frames.filter((f) => f.scrollWidth > f.clientWidth + 1).length"
        )
        assert wide == 0, query
        scroll_width, width = w.no_horizontal_scroll()
        assert scroll_width <= width
    w.page.screenshot(path=str(artifacts_dir / f"pool-list-{locale}-phone.png"))

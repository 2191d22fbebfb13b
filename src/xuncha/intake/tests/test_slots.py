"""Free slots and places for talks (pure): the window, the lead time, busy talks,
holidays, the submitter's wishes with the fallback, place kinds, the uniform draw, and the
places editor's errors with line numbers."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from xuncha.intake.lib import slots
from xuncha.intake.lib.slots import Place, Preferences, Slot, TalkHours

TZ = ZoneInfo("Asia/Shanghai")
HOURS = TalkHours.parse({"days": [0, 1, 2, 3, 4], "starts": ["09:00", "14:30"], "minutes": 60})
MONDAY = dt.date(2026, 11, 9)
FRIDAY_NEXT = dt.date(2026, 11, 20)
# Early enough that the whole window is open.
EARLY = dt.datetime(2026, 11, 1, 8, 0, tzinfo=TZ)


def at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=TZ)


def free(**kwargs):
    values = {"starts_on": MONDAY, "ends_on": FRIDAY_NEXT, "earliest": EARLY, **kwargs}
    return slots.free_slots(HOURS, **values)


def test_hours_are_parsed_and_checked():
    hours = TalkHours.parse({"days": [4, 0], "starts": ["14:30", "9:00"], "minutes": 45})
    assert hours.days == {0, 4}
    assert hours.starts == (dt.time(9, 0), dt.time(14, 30))
    assert hours.as_json() == {"days": [0, 4], "starts": ["09:00", "14:30"], "minutes": 45}
    assert TalkHours.parse({}).minutes == 60
    with pytest.raises(ValueError, match="weekdays"):
        TalkHours.parse({"days": [7], "starts": ["09:00"]})
    with pytest.raises(ValueError, match="not a time"):
        TalkHours.parse({"days": [0], "starts": ["9h30"]})
    with pytest.raises(ValueError, match="minutes"):
        TalkHours.parse({"days": [0], "starts": ["09:00"], "minutes": 0})


def test_the_window_gives_every_weekday_slot_in_order():
    result = free()
    assert len(result) == 10 * 2  # two weeks of weekdays, two talks a day
    assert result[0] == Slot(at(MONDAY, 9), at(MONDAY, 10))
    assert result[-1].starts_at == at(FRIDAY_NEXT, 14, 30)
    assert all(s.starts_at.weekday() < 5 for s in result)
    assert [s.starts_at for s in result] == sorted(s.starts_at for s in result)


def test_nothing_before_the_earliest_start():
    earliest = slots.earliest_start(at(MONDAY, 10, 20))
    assert earliest == at(MONDAY + dt.timedelta(days=1), 11)  # +24 h, rounded up
    assert slots.earliest_start(at(MONDAY, 10)) == at(MONDAY + dt.timedelta(days=1), 10)
    result = free(earliest=earliest)
    assert result[0].starts_at == at(MONDAY + dt.timedelta(days=1), 14, 30)
    assert all(s.starts_at >= earliest for s in result)


def test_a_window_without_an_end_reaches_the_default_horizon():
    result = slots.free_slots(HOURS, starts_on=None, ends_on=None, earliest=at(MONDAY, 9))
    last_day = result[-1].starts_at.date()
    assert MONDAY + slots.DEFAULT_HORIZON - dt.timedelta(days=3) <= last_day
    assert last_day <= MONDAY + slots.DEFAULT_HORIZON


def test_busy_talks_are_excluded_but_touching_ones_are_not():
    tuesday = MONDAY + dt.timedelta(days=1)
    busy = [
        Slot(at(MONDAY, 9, 30), at(MONDAY, 10, 30)),  # overlaps Monday 09:00
        Slot(at(tuesday, 8), at(tuesday, 9)),  # ends when Tuesday 09:00 begins
    ]
    starts = {s.starts_at for s in free(busy=busy)}
    assert at(MONDAY, 9) not in starts
    assert at(MONDAY, 14, 30) in starts
    assert at(tuesday, 9) in starts


def test_holidays_are_skipped():
    wednesday = MONDAY + dt.timedelta(days=2)
    result = free(holidays={wednesday})
    assert len(result) == 9 * 2
    assert all(s.starts_at.date() != wednesday for s in result)


def test_wishes_narrow_the_candidates():
    wishes = Preferences(days=frozenset({1}), times=frozenset({slots.AFTERNOON}))
    found = slots.candidates(
        HOURS, starts_on=MONDAY, ends_on=FRIDAY_NEXT, earliest=EARLY, preferences=wishes
    )
    assert not found.fallback
    assert [s.starts_at for s in found.slots] == [
        at(MONDAY + dt.timedelta(days=1), 14, 30),
        at(MONDAY + dt.timedelta(days=8), 14, 30),
    ]


def test_no_slot_for_the_wishes_falls_back_to_every_free_slot():
    saturday_evening = Preferences(days=frozenset({5}), times=frozenset({slots.EVENING}))
    found = slots.candidates(
        HOURS, starts_on=MONDAY, ends_on=FRIDAY_NEXT, earliest=EARLY, preferences=saturday_evening
    )
    assert found.fallback
    assert len(found.slots) == 20
    nothing = slots.candidates(
        HOURS, starts_on=MONDAY, ends_on=MONDAY, earliest=at(MONDAY, 20)
    )  # the window is over
    assert nothing.slots == () and not nothing.fallback


def test_parts_of_the_day_and_lenient_wishes():
    assert slots.part_of_day(dt.time(11, 59)) == slots.MORNING
    assert slots.part_of_day(dt.time(12, 0)) == slots.AFTERNOON
    assert slots.part_of_day(dt.time(17, 59)) == slots.AFTERNOON
    assert slots.part_of_day(dt.time(18, 0)) == slots.EVENING
    wishes = Preferences.from_request(["1", 2, "wed", "Friday", "bogus", "9"], ["Afternoon", "x"])
    assert wishes.days == {1, 2, 4}
    assert wishes.times == {slots.AFTERNOON}
    assert Preferences.from_request([], []).any
    assert wishes.accepts(at(MONDAY + dt.timedelta(days=1), 14, 30))
    assert not wishes.accepts(at(MONDAY + dt.timedelta(days=1), 9))
    assert not wishes.accepts(at(MONDAY, 14, 30))


def test_the_draw_is_uniform():
    items = list(range(10))
    rng = random.Random(20261126)
    draws = 20000
    counts = Counter(slots.pick(items, rng) for _ in range(draws))
    expected = draws / len(items)
    chi_square = sum((counts[i] - expected) ** 2 / expected for i in items)
    assert set(counts) == set(items)
    assert chi_square < 27.88  # 9 degrees of freedom, p = 0.001
    assert slots.pick(items) in items  # the system random source by default
    with pytest.raises(ValueError):
        slots.pick([])


def test_places_follow_the_kind_asked_for():
    places = [Place("谈话室", "station"), Place("图书馆", "neutral"), Place("文化站", "neutral")]
    assert [p.name for p in slots.places_for(places, "station")] == ["谈话室"]
    assert [p.name for p in slots.places_for(places, "neutral")] == ["图书馆", "文化站"]
    assert slots.places_for(places, "team") == places
    assert slots.places_for(places, "") == places
    assert slots.places_for(places, "neutral", by_phone=True) == []
    assert slots.places_from([{"name": " 谈话室 ", "kind": "station"}, {"name": ""}]) == [
        Place("谈话室", "station")
    ]


def test_the_places_editor_parses_lines_and_names_the_bad_one():
    text = "station: 谈话室\n\nneutral：县图书馆\n NEUTRAL :  文化站 "
    places = slots.parse_places(text)
    assert places == [
        Place("谈话室", "station"),
        Place("县图书馆", "neutral"),
        Place("文化站", "neutral"),
    ]
    assert slots.parse_places(slots.format_places(places)) == places
    for bad, line, code in [
        ("station: 谈话室\n\nlibrary: 图书馆", 3, "kind"),
        ("station: 谈话室\n县图书馆", 2, "format"),
        ("neutral:   ", 1, "name"),
        ("station: A\nneutral: B\nstation: A", 3, "repeated"),
        ("station: " + "长" * 201, 1, "long"),
    ]:
        with pytest.raises(slots.PlaceError) as info:
            slots.parse_places(bad)
        assert (info.value.line, info.value.code) == (line, code), bad

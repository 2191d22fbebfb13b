"""Working-day calendar and stage schedules.

The 2026 dates below were read once from chinesecalendar 1.11.0 and hard-coded on
purpose: asking the package for the expected values would test nothing. The 2027 tests
assume the package has no 2027 data yet; when a release adds it, move those cases to a
later year.
"""

import datetime as dt
import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xuncha.rounds.lib.calendar import (
    DayOverride,
    StageDates,
    StageSpec,
    WorkCalendar,
    schedule,
)

D = dt.date
CAL = WorkCalendar()

# 2026 public holidays per the State Council notice (as shipped in chinesecalendar 1.11.0).
HOLIDAYS_2026 = [
    D(2026, 2, 16),  # Mon, 春节
    D(2026, 2, 20),  # Fri, 春节
    D(2026, 2, 23),  # Mon, last day of 春节
    D(2026, 10, 1),  # Thu, 国庆
    D(2026, 10, 2),  # Fri, 国庆
    D(2026, 10, 5),  # Mon, 国庆
    D(2026, 10, 7),  # Wed, last day of 国庆
]
# Weekend days that are working days (调休) in 2026.
MAKEUP_WORKDAYS_2026 = [
    D(2026, 1, 4),  # Sun
    D(2026, 2, 14),  # Sat, before 春节
    D(2026, 2, 28),  # Sat, after 春节
    D(2026, 9, 20),  # Sun, before 国庆
    D(2026, 10, 10),  # Sat, after 国庆
]
ORDINARY_WORKDAYS_2026 = [D(2026, 2, 13), D(2026, 2, 24), D(2026, 9, 30), D(2026, 10, 8)]
ORDINARY_WEEKENDS_2026 = [D(2026, 10, 11), D(2026, 3, 7)]


# --- official data --------------------------------------------------------------------


@pytest.mark.parametrize("day", HOLIDAYS_2026)
def test_2026_holidays_are_not_workdays(day: dt.date) -> None:
    assert day.weekday() < 5  # holidays that would be working days by the weekday rule
    assert not CAL.is_workday(day)
    assert CAL.source(day) == "official"


@pytest.mark.parametrize("day", MAKEUP_WORKDAYS_2026)
def test_2026_makeup_weekend_days_are_workdays(day: dt.date) -> None:
    assert day.weekday() >= 5
    assert CAL.is_workday(day)
    assert CAL.source(day) == "official"


@pytest.mark.parametrize("day", ORDINARY_WORKDAYS_2026)
def test_2026_ordinary_workdays(day: dt.date) -> None:
    assert CAL.is_workday(day)
    assert CAL.source(day) == "official"


@pytest.mark.parametrize("day", ORDINARY_WEEKENDS_2026)
def test_2026_ordinary_weekends(day: dt.date) -> None:
    assert not CAL.is_workday(day)


def test_has_official_data() -> None:
    assert CAL.has_official_data(2004)
    assert CAL.has_official_data(2026)
    assert not CAL.has_official_data(2003)
    assert not CAL.has_official_data(2027)
    assert not WorkCalendar(use_package=False).has_official_data(2026)


def test_datetime_is_treated_as_its_date() -> None:
    assert not CAL.is_workday(dt.datetime(2026, 10, 1, 9, 30))  # noqa: DTZ001
    cal = WorkCalendar([DayOverride(D(2027, 10, 1), False, "国庆节")])
    assert not cal.is_workday(dt.datetime(2027, 10, 1, 9, 30))  # noqa: DTZ001


# --- outside the package's data -------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2027, 10, 1), True),  # Fri
        (D(2027, 10, 2), False),  # Sat
        (D(2027, 2, 8), True),  # Mon
        (D(1999, 10, 1), True),  # Fri
        (D(1999, 10, 2), False),  # Sat
        (D(2099, 1, 1), True),  # Thu
    ],
)
def test_years_without_data_follow_the_weekday_rule(day: dt.date, expected: bool) -> None:
    assert CAL.is_workday(day) is expected
    assert CAL.source(day) == "weekday-rule"


def test_overrides_fill_years_without_data() -> None:
    cal = WorkCalendar(
        [
            DayOverride(D(2027, 10, 1), False, "国庆节"),
            DayOverride(D(2027, 9, 26), True, "国庆调休"),  # a Sunday
            DayOverride(D(1999, 10, 1), False, "国庆节"),
        ]
    )
    assert not cal.is_workday(D(2027, 10, 1))
    assert cal.source(D(2027, 10, 1)) == "override"
    assert cal.is_workday(D(2027, 9, 26))
    assert cal.source(D(2027, 9, 26)) == "override"
    assert not cal.is_workday(D(1999, 10, 1))
    # Days the table does not mention still fall back to the weekday rule.
    assert cal.is_workday(D(2027, 10, 4))
    assert cal.source(D(2027, 10, 4)) == "weekday-rule"
    assert cal.override_for(D(2027, 10, 1)) == DayOverride(D(2027, 10, 1), False, "国庆节")
    assert cal.override_for(D(2027, 10, 4)) is None


def test_overrides_beat_package_data() -> None:
    cal = WorkCalendar(
        [DayOverride(D(2026, 10, 1), True, "值班"), DayOverride(D(2026, 10, 10), False)]
    )
    assert cal.is_workday(D(2026, 10, 1))
    assert cal.source(D(2026, 10, 1)) == "override"
    assert not cal.is_workday(D(2026, 10, 10))
    assert cal.source(D(2026, 10, 10)) == "override"
    assert cal.source(D(2026, 10, 2)) == "official"


def test_without_package_everything_is_weekday_rule_or_override() -> None:
    cal = WorkCalendar([DayOverride(D(2026, 10, 2), False)], use_package=False)
    assert cal.is_workday(D(2026, 10, 1))  # a holiday officially, but a Thursday
    assert cal.source(D(2026, 10, 1)) == "weekday-rule"
    assert not cal.is_workday(D(2026, 10, 10))  # make-up Saturday unknown without data
    assert cal.source(D(2026, 10, 2)) == "override"


def test_conflicting_overrides_are_rejected() -> None:
    with pytest.raises(ValueError, match="2027-10-01"):
        WorkCalendar([DayOverride(D(2027, 10, 1), False), DayOverride(D(2027, 10, 1), True)])
    # Identical duplicates are harmless.
    cal = WorkCalendar([DayOverride(D(2027, 10, 1), False), DayOverride(D(2027, 10, 1), False)])
    assert not cal.is_workday(D(2027, 10, 1))


# --- years_without_data ---------------------------------------------------------------


def test_years_without_data() -> None:
    assert CAL.years_without_data(D(2025, 3, 1), D(2028, 6, 30)) == [2027, 2028]
    assert CAL.years_without_data(D(2026, 1, 1), D(2026, 12, 31)) == []
    assert CAL.years_without_data(D(2001, 6, 1), D(2005, 1, 1)) == [2001, 2002, 2003]
    assert CAL.years_without_data(D(2028, 1, 1), D(2027, 1, 1)) == []


def test_a_year_with_any_override_counts_as_entered() -> None:
    cal = WorkCalendar([DayOverride(D(2027, 1, 1), False, "元旦")])
    assert cal.years_without_data(D(2026, 1, 1), D(2028, 12, 31)) == [2028]
    assert WorkCalendar(use_package=False).years_without_data(D(2026, 1, 1), D(2026, 2, 1)) == [
        2026
    ]


# --- counting -------------------------------------------------------------------------


def test_next_workday() -> None:
    assert CAL.next_workday(D(2026, 9, 30)) == D(2026, 9, 30)
    assert CAL.next_workday(D(2026, 10, 1)) == D(2026, 10, 8)
    assert CAL.next_workday(D(2026, 2, 15)) == D(2026, 2, 24)
    assert CAL.next_workday(D(2027, 10, 2)) == D(2027, 10, 4)  # Sat -> Mon, weekday rule


def test_add_workdays_examples() -> None:
    assert CAL.add_workdays(D(2026, 3, 2), 5) == D(2026, 3, 6)  # ordinary week, Mon -> Fri
    assert CAL.add_workdays(D(2027, 3, 1), 5) == D(2027, 3, 5)
    assert CAL.add_workdays(D(2026, 3, 7), 1) == D(2026, 3, 9)  # Saturday start
    # 9-28..9-30 then 10-08, 10-09: the holiday stretches the count.
    assert CAL.add_workdays(D(2026, 9, 28), 5) == D(2026, 10, 9)
    # 10-08, 10-09, 10-10 (make-up Saturday), 10-12.
    assert CAL.add_workdays(D(2026, 10, 8), 4) == D(2026, 10, 12)
    with pytest.raises(ValueError, match="at least 1"):
        CAL.add_workdays(D(2026, 3, 2), 0)


def test_workdays_between_examples() -> None:
    assert CAL.workdays_between(D(2026, 10, 1), D(2026, 10, 7)) == 0
    assert CAL.workdays_between(D(2026, 9, 28), D(2026, 10, 11)) == 6
    assert CAL.workdays_between(D(2026, 10, 10), D(2026, 10, 10)) == 1
    assert CAL.workdays_between(D(2026, 10, 9), D(2026, 10, 8)) == 0
    # Spanning the edge of the package's data: Dec 2026 official, Jan 2027 weekday rule.
    assert CAL.workdays_between(D(2026, 12, 28), D(2027, 1, 3)) == 5


CALENDARS = st.sampled_from(
    [
        CAL,
        WorkCalendar(use_package=False),
        WorkCalendar(
            [DayOverride(D(2027, 10, 1) + dt.timedelta(days=i), False, "国庆节") for i in range(7)]
            + [DayOverride(D(2027, 9, 26), True), DayOverride(D(2026, 10, 1), True)]
        ),
    ]
)
DATES = st.dates(min_value=D(2024, 1, 1), max_value=D(2028, 12, 31))


@given(cal=CALENDARS, start=DATES, count=st.integers(min_value=1, max_value=60))
def test_add_workdays_and_workdays_between_agree(
    cal: WorkCalendar, start: dt.date, count: int
) -> None:
    end = cal.add_workdays(start, count)
    assert cal.is_workday(end)
    assert end >= start
    # A non-working start is skipped over, so the count holds either way.
    assert cal.workdays_between(start, end) == count
    if not cal.is_workday(start):
        assert end == cal.add_workdays(cal.next_workday(start), count)
    # Nothing earlier would do: one day less holds one working day fewer.
    assert cal.workdays_between(start, end - dt.timedelta(days=1)) == count - 1


@given(cal=CALENDARS, start=DATES)
def test_next_workday_properties(cal: WorkCalendar, start: dt.date) -> None:
    nxt = cal.next_workday(start)
    assert cal.is_workday(nxt)
    assert cal.next_workday(nxt) == nxt
    assert cal.add_workdays(start, 1) == nxt
    assert cal.workdays_between(start, nxt - dt.timedelta(days=1)) == 0


@given(cal=CALENDARS, a=DATES, b=DATES, c=DATES)
@settings(max_examples=50)
def test_workdays_between_is_additive(
    cal: WorkCalendar, a: dt.date, b: dt.date, c: dt.date
) -> None:
    a, b, c = sorted([a, b, c])
    split = cal.workdays_between(a, b) + cal.workdays_between(b + dt.timedelta(days=1), c)
    assert split == cal.workdays_between(a, c)


# --- schedule -------------------------------------------------------------------------


def _check_schedule(
    cal: WorkCalendar, start: dt.date, specs: list[StageSpec], result: list[StageDates]
) -> None:
    assert [r.stage for r in result] == [s.stage for s in specs]
    cursor = start
    for spec, stage in zip(specs, result, strict=True):
        assert stage.start <= stage.end
        if spec.unit == "workdays":
            assert stage.start == cal.next_workday(cursor)
            assert cal.is_workday(stage.end)
            assert cal.workdays_between(stage.start, stage.end) == spec.length
        else:
            assert stage.start == cursor
            assert (stage.end - stage.start).days + 1 == spec.length
        cursor = stage.end + dt.timedelta(days=1)
    for before, after in itertools.pairwise(result):
        assert before.end < after.start  # in order, no overlap


def test_schedule_stretches_a_workday_stage_over_national_day_2026() -> None:
    specs = [
        StageSpec("动员部署", 3, "workdays"),
        StageSpec("进驻了解", 10, "workdays"),
        StageSpec("整改期限", 60, "days"),
        StageSpec("整改报告", 5, "workdays"),
    ]
    result = schedule(D(2026, 9, 26), specs, CAL)  # a Saturday, not a make-up day
    assert result[0] == StageDates("动员部署", D(2026, 9, 28), D(2026, 9, 30))
    # 10 working days from 10-08: 10-08, 09, 10 (Sat make-up), 12..16, 19, 20.
    assert result[1] == StageDates("进驻了解", D(2026, 10, 8), D(2026, 10, 20))
    assert result[2] == StageDates("整改期限", D(2026, 10, 21), D(2026, 12, 19))
    assert result[3] == StageDates("整改报告", D(2026, 12, 21), D(2026, 12, 25))
    _check_schedule(CAL, D(2026, 9, 26), specs, result)
    # The same plan by the plain weekday rule would not know about the holiday.
    plain = schedule(D(2026, 9, 26), specs, WorkCalendar(use_package=False))
    assert plain[1].end < result[1].end


def test_schedule_days_stage_keeps_its_start() -> None:
    result = schedule(D(2026, 10, 1), [StageSpec("公示", 7, "days")], CAL)
    assert result == [StageDates("公示", D(2026, 10, 1), D(2026, 10, 7))]


STAGE_SPECS = st.lists(
    st.builds(
        StageSpec,
        stage=st.text(alphabet="甲乙丙丁戊", min_size=1, max_size=3),
        length=st.integers(min_value=1, max_value=40),
        unit=st.sampled_from(["workdays", "days"]),
    ),
    min_size=1,
    max_size=6,
)


@given(cal=CALENDARS, start=DATES, specs=STAGE_SPECS)
@settings(max_examples=60)
def test_schedule_properties(cal: WorkCalendar, start: dt.date, specs: list[StageSpec]) -> None:
    _check_schedule(cal, start, specs, schedule(start, specs, cal))


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ([], "at least one stage"),
        ([StageSpec("进驻了解", 0, "workdays")], "'进驻了解': length must be at least 1"),
        ([StageSpec("整改期限", -3, "days")], "'整改期限': length must be at least 1"),
        (
            [StageSpec("动员部署", 3, "workdays"), StageSpec("反馈", 2, "weeks")],  # type: ignore[arg-type]
            "'反馈': unknown unit 'weeks'",
        ),
    ],
)
def test_schedule_rejects_invalid_specs(specs: list[StageSpec], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        schedule(D(2026, 3, 2), specs, CAL)

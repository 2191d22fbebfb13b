"""Chinese working days and stage schedules (pure; no Django).

Inspection rounds are planned in working days, and in China those are not simply
Monday to Friday: the State Council announces public holidays each year together with
make-up working days (调休) that fall on weekends. The `chinese_calendar` package ships
those announcements for the years it knows; for any other year it raises
NotImplementedError. Offices must still plan rounds for years the package does not
cover yet, so the app keeps an editable override table (stored in the database and
passed in here), and anything neither source knows falls back to the Monday-Friday rule.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, get_args

import chinese_calendar

Source = Literal["override", "official", "weekday-rule"]
Unit = Literal["workdays", "days"]
UNITS: tuple[str, ...] = get_args(Unit)

_ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class DayOverride:
    day: datetime.date
    is_workday: bool
    name: str = ""


@lru_cache(maxsize=64)
def _package_has_year(year: int) -> bool:
    # The package exposes no "supported years" API; probing one date is the documented
    # way it signals a missing year (NotImplementedError), and the result is cached.
    try:
        chinese_calendar.is_workday(datetime.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)
def _package_is_workday(day: datetime.date) -> bool | None:
    """The package's verdict for `day`, or None when it has no data for that year."""
    if not _package_has_year(day.year):
        return None
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # defensive: never let a data gap crash a schedule
        return None


def _as_date(day: datetime.date) -> datetime.date:
    # datetime is a subclass of date; a datetime would never match an override key
    # (and hashes differently in the cache), so reduce it to its calendar day.
    if isinstance(day, datetime.datetime):
        return day.date()
    return day


class WorkCalendar:
    """Decides whether a day is a working day: overrides, then package data, then Mon-Fri."""

    def __init__(self, overrides: Iterable[DayOverride] = (), *, use_package: bool = True) -> None:
        self._use_package = use_package
        self._overrides: dict[datetime.date, DayOverride] = {}
        for override in overrides:
            day = _as_date(override.day)
            previous = self._overrides.get(day)
            # Two rows that disagree about one day are a data-entry error; silently picking
            # one would shift every deadline computed from it.
            if previous is not None and previous.is_workday != override.is_workday:
                raise ValueError(f"conflicting overrides for {day.isoformat()}")
            self._overrides[day] = override
        self._override_years = frozenset(day.year for day in self._overrides)

    def _decide(self, day: datetime.date) -> tuple[bool, Source]:
        day = _as_date(day)
        override = self._overrides.get(day)
        if override is not None:
            return override.is_workday, "override"
        if self._use_package:
            verdict = _package_is_workday(day)
            if verdict is not None:
                return verdict, "official"
        return day.weekday() < 5, "weekday-rule"

    def is_workday(self, day: datetime.date) -> bool:
        return self._decide(day)[0]

    def source(self, day: datetime.date) -> str:
        """Which rule decided `day`: "override", "official" or "weekday-rule"."""
        return self._decide(day)[1]

    def override_for(self, day: datetime.date) -> DayOverride | None:
        return self._overrides.get(_as_date(day))

    def has_official_data(self, year: int) -> bool:
        # A calendar told not to use the package has no official data for any year, so
        # the UI warns about every year without overrides.
        return self._use_package and _package_has_year(year)

    def years_without_data(self, start: datetime.date, end: datetime.date) -> list[int]:
        """Years in [start, end] that rely on the weekday rule alone (no data, no overrides)."""
        if end < start:
            return []
        return [
            year
            for year in range(start.year, end.year + 1)
            if not self.has_official_data(year) and year not in self._override_years
        ]

    def next_workday(self, day: datetime.date) -> datetime.date:
        """`day` itself if it is a working day, else the first working day after it."""
        current = _as_date(day)
        try:
            while not self.is_workday(current):
                current += _ONE_DAY
        except OverflowError:
            raise ValueError(f"no working day on or after {day.isoformat()}") from None
        return current

    def add_workdays(self, start: datetime.date, count: int) -> datetime.date:
        """The count-th working day from `start`, counting `start` itself if it is one."""
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        current = self.next_workday(start)
        remaining = count - 1
        while remaining:
            current = self.next_workday(current + _ONE_DAY)
            remaining -= 1
        return current

    def workdays_between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days in [start, end], both ends included; 0 when end < start."""
        start, end = _as_date(start), _as_date(end)
        total = 0
        current = start
        while current <= end:
            if self.is_workday(current):
                total += 1
            if current == end:  # avoid stepping past date.max
                break
            current += _ONE_DAY
        return total


@dataclass(frozen=True)
class StageSpec:
    stage: str
    length: int  # >= 1
    unit: Unit


@dataclass(frozen=True)
class StageDates:
    stage: str
    start: datetime.date
    end: datetime.date


def _validate(specs: Sequence[StageSpec]) -> None:
    if not specs:
        raise ValueError("a schedule needs at least one stage")
    for spec in specs:
        if spec.unit not in UNITS:
            raise ValueError(
                f"stage {spec.stage!r}: unknown unit {spec.unit!r} (expected one of {UNITS})"
            )
        # bool is an int subclass; True as a length is certainly a bug upstream.
        if isinstance(spec.length, bool) or not isinstance(spec.length, int):
            raise ValueError(
                f"stage {spec.stage!r}: length must be an integer, got {spec.length!r}"
            )
        if spec.length < 1:
            raise ValueError(f"stage {spec.stage!r}: length must be at least 1, got {spec.length}")


def schedule(
    start: datetime.date, specs: Sequence[StageSpec], calendar: WorkCalendar
) -> list[StageDates]:
    """Lay stages end to end from `start`.

    A "workdays" stage begins on the next working day and ends on its n-th working day, so
    holidays inside it stretch it; a "days" stage runs n calendar days from the day after
    the previous stage (it may start or end on a holiday: such stages are legal deadlines).
    """
    _validate(specs)  # all up front, so a bad last stage does not yield a half schedule
    result: list[StageDates] = []
    cursor = _as_date(start)
    for spec in specs:
        if spec.unit == "workdays":
            stage_start = calendar.next_workday(cursor)
            stage_end = calendar.add_workdays(stage_start, spec.length)
        else:
            stage_start = cursor
            stage_end = cursor + datetime.timedelta(days=spec.length - 1)
        result.append(StageDates(spec.stage, stage_start, stage_end))
        cursor = stage_end + _ONE_DAY
    return result

"""Free times and places for one-to-one talks (pure; no Django).

A team's channel says when talks can be held (weekdays, start times, a length); the
stationing window says between which dates; the team's other talks are busy. Out of the
free slots that remain, those matching what the submitter asked for (weekdays; morning,
afternoon or evening) are the candidates, and one is drawn uniformly at random, so that
nobody watching the team can predict where and when it meets people. When no free slot
matches the wishes, every free slot is a candidate and the result says so.
"""

from __future__ import annotations

import datetime as dt
import random as random_module
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

MORNING, AFTERNOON, EVENING = "morning", "afternoon", "evening"
PARTS_OF_DAY = (MORNING, AFTERNOON, EVENING)
NOON = dt.time(12, 0)
SIX_PM = dt.time(18, 0)

STATION, NEUTRAL = "station", "neutral"
PLACE_KINDS = (STATION, NEUTRAL)

LEAD_TIME = dt.timedelta(hours=24)
MAX_MINUTES = 8 * 60
DEFAULT_HORIZON = dt.timedelta(days=28)  # when the stationing window has no end

_WEEKDAY_NAMES = {
    name: index
    for index, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}

T = TypeVar("T")


def part_of_day(start: dt.time) -> str:
    """Morning before noon, afternoon until 18:00, evening from 18:00."""
    if start < NOON:
        return MORNING
    if start < SIX_PM:
        return AFTERNOON
    return EVENING


def parse_time(text: str) -> dt.time:
    """``"9:30"`` or ``"09:30"`` → 09:30; ValueError otherwise."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"not a time of day: {text!r}")
    return dt.time(int(hours), int(minutes))


@dataclass(frozen=True)
class TalkHours:
    """When talks can be held: weekdays (0 = Monday), start times, length in minutes."""

    days: frozenset[int]
    starts: tuple[dt.time, ...]
    minutes: int

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> TalkHours:
        """From the channel's JSON; ValueError naming what is wrong."""
        days = frozenset(int(d) for d in data.get("days", ()))
        if not days <= set(range(7)):
            raise ValueError(f"weekdays must be 0–6: {sorted(days)}")
        starts = tuple(sorted({parse_time(str(s)) for s in data.get("starts", ())}))
        minutes = int(data.get("minutes", 60))
        if not 0 < minutes <= MAX_MINUTES:
            raise ValueError(f"a talk lasts 1 to {MAX_MINUTES} minutes, not {minutes}")
        return cls(days=days, starts=starts, minutes=minutes)

    def as_json(self) -> dict[str, Any]:
        return {
            "days": sorted(self.days),
            "starts": [s.strftime("%H:%M") for s in self.starts],
            "minutes": self.minutes,
        }

    @property
    def length(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class Preferences:
    """What the submitter asked for; empty sets mean "any"."""

    days: frozenset[int] = frozenset()
    times: frozenset[str] = frozenset()

    @classmethod
    def from_request(cls, days: Iterable[Any] = (), times: Iterable[Any] = ()) -> Preferences:
        """Lenient: weekdays as 0–6 (ints or digits) or English names; unknown values
        are ignored ("any" rather than "none")."""
        parsed_days: set[int] = set()
        for day in days or ():
            text = str(day).strip().lower()
            if text.isdigit() and int(text) < 7:
                parsed_days.add(int(text))
            elif text in _WEEKDAY_NAMES:
                parsed_days.add(_WEEKDAY_NAMES[text])
        parsed_times = {str(t).strip().lower() for t in times or ()} & set(PARTS_OF_DAY)
        return cls(days=frozenset(parsed_days), times=frozenset(parsed_times))

    def accepts(self, start: dt.datetime) -> bool:
        if self.days and start.weekday() not in self.days:
            return False
        return not self.times or part_of_day(start.time()) in self.times

    @property
    def any(self) -> bool:
        return not self.days and not self.times


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime
    ends_at: dt.datetime

    def overlaps(self, other: Slot) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


@dataclass(frozen=True)
class Candidates:
    slots: tuple[Slot, ...]
    # True: no free slot matched the submitter's wishes, these are all the free slots.
    fallback: bool = False


def earliest_start(now: dt.datetime, lead: dt.timedelta = LEAD_TIME) -> dt.datetime:
    """``now`` plus the lead time, rounded up to the next full hour."""
    moment = now + lead
    rounded = moment.replace(minute=0, second=0, microsecond=0)
    return rounded if rounded == moment else rounded + dt.timedelta(hours=1)


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def free_slots(
    hours: TalkHours,
    *,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    earliest: dt.datetime,
    busy: Iterable[Slot] = (),
    holidays: Iterable[dt.date] = (),
    tz: dt.tzinfo | None = None,
) -> list[Slot]:
    """Every slot of ``hours`` between the dates (inclusive), not before ``earliest``,
    not on a holiday and not overlapping a busy interval, in time order."""
    zone = tz or earliest.tzinfo
    if zone is None:
        raise ValueError("slots need a time zone (an aware 'earliest' or 'tz')")
    local_earliest = earliest.astimezone(zone)
    first = max(starts_on or local_earliest.date(), local_earliest.date())
    last = ends_on or first + DEFAULT_HORIZON
    skip = set(holidays)
    taken = list(busy)
    result: list[Slot] = []
    for day in _days(first, last):
        if day.weekday() not in hours.days or day in skip:
            continue
        for start in hours.starts:
            starts_at = dt.datetime.combine(day, start, tzinfo=zone)
            if starts_at < local_earliest:
                continue
            slot = Slot(starts_at, starts_at + hours.length)
            if any(slot.overlaps(b) for b in taken):
                continue
            result.append(slot)
    return result


def candidates(
    hours: TalkHours,
    *,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    earliest: dt.datetime,
    busy: Iterable[Slot] = (),
    preferences: Preferences = Preferences(),
    holidays: Iterable[dt.date] = (),
    tz: dt.tzinfo | None = None,
) -> Candidates:
    """The free slots matching ``preferences``; all free slots (``fallback``) if none do."""
    free = free_slots(
        hours,
        starts_on=starts_on,
        ends_on=ends_on,
        earliest=earliest,
        busy=busy,
        holidays=holidays,
        tz=tz,
    )
    matching = tuple(s for s in free if preferences.accepts(s.starts_at))
    if matching or not free:
        return Candidates(matching, fallback=False)
    return Candidates(tuple(free), fallback=True)


def pick(items: Sequence[T], rng: random_module.Random | None = None) -> T:
    """One item drawn uniformly (a system random source unless ``rng`` is given)."""
    if not items:
        raise ValueError("nothing to pick from")
    return (rng or random_module.SystemRandom()).choice(items)


# --- places -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    name: str
    kind: str  # STATION or NEUTRAL


def places_from(data: Iterable[Mapping[str, Any]]) -> list[Place]:
    return [
        Place(str(p.get("name", "")).strip(), str(p.get("kind", "")))
        for p in data
        if str(p.get("name", "")).strip()
    ]


def places_for(places: Sequence[Place], place_kind: str, *, by_phone: bool = False) -> list[Place]:
    """The places that fit the submitter's wish: "station" or "neutral" places of that
    kind, anything else ("team": the team chooses) any place. A phone talk needs none."""
    if by_phone:
        return []
    if place_kind in PLACE_KINDS:
        return [p for p in places if p.kind == place_kind]
    return list(places)


def parse_places(text: str) -> list[Place]:
    """The settings editor: one place per line as ``station: name`` or ``neutral: name``
    (blank lines skipped). PlaceError names the line."""
    result: list[Place] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        kind, sep, name = line.replace("：", ":").partition(":")
        kind, name = kind.strip().lower(), name.strip()
        if not sep:
            raise PlaceError(number, "format", line)
        if kind not in PLACE_KINDS:
            raise PlaceError(number, "kind", kind)
        if not name:
            raise PlaceError(number, "name", line)
        if len(name) > 200:
            raise PlaceError(number, "long", name)
        if name in seen:
            raise PlaceError(number, "repeated", name)
        seen.add(name)
        result.append(Place(name, kind))
    return result


def format_places(places: Iterable[Place]) -> str:
    return "\n".join(f"{p.kind}: {p.name}" for p in places)


class PlaceError(ValueError):
    """A line of the places editor is wrong: ``line`` (1-based), ``code``, ``value``."""

    def __init__(self, line: int, code: str, value: str) -> None:
        super().__init__(f"line {line}: {code} ({value!r})")
        self.line, self.code, self.value = line, code, value

"""Times in the console: the clinic's local time, with UTC on hover.

Everything is stored in UTC (naive datetimes, as ``utcnow()`` writes them).
Staff read times in the clinic's zone, ``time_zone`` in data/clinic.yml, or
``STAFF_TIME_ZONE`` (an IANA name such as ``America/New_York``); an unknown
name falls back to UTC rather than failing every page. Days (date filters,
the overview's days, "today") are the clinic's days too.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup, escape

from assistant.clinic import load_clinic


@lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo | timezone:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def clinic_zone() -> ZoneInfo | timezone:
    return _zone(os.environ.get("STAFF_TIME_ZONE") or load_clinic().time_zone)


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> Markup:
    """``<time>`` in the clinic's zone (with its abbreviation), the UTC time as its title."""
    if value is None:
        return Markup("")
    utc = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    local = utc.astimezone(clinic_zone())
    return Markup('<time datetime="{}" title="{} UTC">{} {}</time>').format(
        utc.isoformat(timespec="seconds").replace("+00:00", "Z"), utc.strftime(fmt),
        local.strftime(fmt), escape(local.tzname() or ""))


def local_now() -> datetime:
    """Now in the clinic's zone (aware)."""
    return datetime.now(timezone.utc).astimezone(clinic_zone())


def day_start(day: date) -> datetime:
    """When the clinic's ``day`` begins, as naive UTC (how times are stored).

    Days are the clinic's, not UTC's: an evening conversation in Chicago is
    filed under that evening's date. Local midnight exists every day in the
    zones the clinic could be in (DST changes happen at 2 a.m.); a day is 23 or
    25 hours long on the two change days.
    """
    local = datetime.combine(day, time.min, tzinfo=clinic_zone())
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def day_range(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """The UTC bounds of the clinic's days ``first`` to ``last`` inclusive (either may be open)."""
    return (day_start(first) if first else None,
            day_start(last + timedelta(days=1)) if last else None)


def local_date(value: datetime) -> date:
    """The clinic's date of a stored (naive UTC) time."""
    utc = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    return utc.astimezone(clinic_zone()).date()

"""Times in the console: the clinic's local time, with UTC on hover.

Everything is stored in UTC (naive datetimes, as ``utcnow()`` writes them).
Staff read times in the clinic's zone, ``time_zone`` in data/clinic.yml, or
``STAFF_TIME_ZONE`` (an IANA name such as ``America/New_York``); an unknown
name falls back to UTC rather than failing every page.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
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

"""The console's days are the clinic's days (issue 31, point 1): filters, the overview, exports.

The clinic is in America/Chicago (data/clinic.yml). A conversation at 9 p.m.
on 5 December is stored as 03:00 UTC on the 6th; staff filtering for the 5th
must find it, and the overview must count it on the 5th. Also across the two
daylight-saving changes, when a day has 23 or 25 hours.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from assistant import summaries
from assistant.store import get_engine
from tests.conftest import STAFF_PASSWORD
from tests.test_summaries import add, bot, user
from webapp.staff.times import day_range, day_start, local_date

CHICAGO = ZoneInfo("America/Chicago")


def stamp(local: datetime) -> float:
    return local.replace(tzinfo=CHICAGO).timestamp()


@pytest.fixture(autouse=True)
def chicago(monkeypatch):
    monkeypatch.setenv("STAFF_TIME_ZONE", "America/Chicago")


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 12, 5), 24), (date(2026, 3, 8), 23),
                                            (date(2026, 11, 1), 25)])
def test_a_clinic_day_runs_from_local_midnight_to_local_midnight(day, hours):
    start, end = day_range(day, day)
    assert start == datetime(day.year, day.month, day.day, tzinfo=CHICAGO).astimezone(timezone.utc).replace(
        tzinfo=None)
    assert (end - start).total_seconds() == hours * 3600
    assert local_date(start) == day and local_date(end) != day


@pytest.mark.parametrize("evening", [datetime(2026, 12, 5, 21, 0), datetime(2026, 12, 5, 23, 59),
                                     datetime(2026, 3, 8, 23, 30), datetime(2026, 11, 1, 23, 30)])
def test_an_evening_conversation_is_found_and_counted_on_its_own_day(make_console, db_url, evening):
    add(db_url, "evening", [user("what is PRP?"), bot("answer", "prp_what")], stamp(evening))
    add(db_url, "next-morning", [user("what is prolotherapy?"), bot("answer", "prolotherapy_what")],
        stamp(datetime(evening.year, evening.month, evening.day, 23, 59)) + 2 * 3600)
    app = make_console()
    client = app.test_client()
    assert client.post("/staff/login", data={"username": "alice", "password": STAFF_PASSWORD,
                                             "next": ""}).status_code == 302
    day = evening.date().isoformat()
    listed = client.get(f"/staff/conversations?from={day}&to={day}").get_data(as_text=True)
    assert "evening" in listed and "next-morning" not in listed
    exported = client.get(f"/staff/export/conversations.csv?from={day}&to={day}").get_data(as_text=True)
    assert "evening" in exported and "next-morning" not in exported

    with get_engine(db_url).connect() as connection:
        summaries.refresh(connection)
        totals = summaries.totals(connection, day_start(date(evening.year, evening.month, 1)),
                                  date_of=local_date)
    assert totals.per_day[day] == 1


def test_the_overview_at_9_pm_in_chicago_counts_the_evening_under_today(make_console, db_url, monkeypatch):
    import json

    evening = datetime(2026, 12, 5, 21, 0)
    add(db_url, "evening", [user("what is PRP?"), bot("answer", "prp_what")], stamp(evening))
    monkeypatch.setattr("webapp.staff.views.local_now", lambda: evening.replace(tzinfo=CHICAGO))
    client = make_console().test_client()
    client.post("/staff/login", data={"username": "alice", "password": STAFF_PASSWORD, "next": ""})
    page = client.get("/staff/overview").get_data(as_text=True)
    data = json.loads(page.split('id="overview-data">')[1].split("</script>")[0])
    assert data["days"][-1] == "2026-12-05"  # today is still the 5th in Chicago (03:00 UTC on the 6th)
    assert data["conversations"][-1] == 1

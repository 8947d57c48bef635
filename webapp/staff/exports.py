"""The console's CSV exports (admins only; every export is audited by the view).

Visitor text is untrusted: a cell that a spreadsheet would run as a formula
is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import Response
from sqlalchemy import select

from assistant import summaries
from assistant.store import BookingRequest, get_engine
from assistant.store import session as db_session

CONVERSATION_COLUMNS = ["conversation_id", "started_at_utc", "visitor_messages", "first_question", "topics",
                        "flags"]
BOOKING_COLUMNS = ["reference", "created_at_utc", "status", "full_name", "phone", "email", "office",
                   "preferred_times", "problem", "conversation_id"]


def csv_cell(value: object) -> str:
    """Keep spreadsheet formulas in visitor text from running on open."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def csv_response(name: str, header: list[str], rows: list[list[object]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[csv_cell(v) for v in row] for row in rows])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    response.headers["Cache-Control"] = "no-store"
    return response


def conversation_rows(since: datetime | None, until: datetime | None) -> list[list[object]]:
    """Conversations started in [since, until), newest first."""
    with get_engine().connect() as connection:
        summaries.refresh(connection)
        found = summaries.export(connection, since, until)
    return [[c.id, c.started_at, c.visitor_messages, c.first_question, " ".join(c.topics),
             " ".join(sorted(c.flags))] for c in found]


def booking_rows() -> list[list[object]]:
    with db_session() as db:
        rows = db.execute(select(BookingRequest).order_by(BookingRequest.created_at)).scalars().all()
        return [[b.reference, b.created_at, b.status.value, b.full_name, b.phone, b.email, b.office,
                 b.preferred_times, b.problem, b.conversation_id] for b in rows]

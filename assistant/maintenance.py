"""Start-up maintenance: ``python -m assistant.maintenance`` (``make run`` and ``make migrate``).

Brings the schema to the newest Alembic revision, then delivers what an
earlier run left pending: booking requests queued in the outbox while the
database was unreachable, and staff e-mails that failed. Kept apart from
assistant/store.py so that the tables do not import the booking logic that
uses them.
"""

from __future__ import annotations

from assistant.bookings import flush_outbox, retry_notifications
from assistant.store import database_url, migrate


def main() -> None:
    migrate()
    flushed, mailed = flush_outbox(), retry_notifications()
    print(f"database ready ({database_url()}); outbox rows inserted: {flushed}; "
          f"staff e-mails sent: {mailed}")


if __name__ == "__main__":
    main()

"""What kind of reply a bot turn is: the ``kind`` in every reply's ``custom`` object.

The action server sets it (actions/replies.py ``send``), the channels add
their own (rate limit, bot unavailable), the staff console flags and counts
conversations by it, ``make eval`` scores by it, and the web widget styles
bubbles with it (``sij-kind-<kind>`` in webapp/static/widget; a test checks
the widget names only kinds listed here).
"""

from __future__ import annotations

from enum import Enum


class ReplyKind(str, Enum):
    """A str, so JSON, SQL and comparisons with the stored strings see the plain value.

    (``enum.StrEnum`` would say this alone, but needs Python 3.11; 3.10 is supported.)
    """

    ANSWER = "answer"  # an FAQ answer with its verbatim quotes and citations
    CLARIFY = "clarify"  # "did you mean": up to three FAQ buttons
    FALLBACK = "fallback"  # declined: not covered by the article, or not understood
    URGENT = "urgent"  # red flag: urgent care first (``level``: crisis, emergency or soon)
    CHECKIN = "checkin"  # one supportive line with the crisis line, after the answer to distress
    SMALLTALK = "smalltalk"  # greetings, thanks, "what can you do"
    BOOKING = "booking"  # a step of the booking form, or its confirmation
    HANDOFF = "handoff"  # a person takes over, or the bot is unavailable
    LIMIT = "limit"  # too many messages: slow down

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return self.value.__format__(spec)

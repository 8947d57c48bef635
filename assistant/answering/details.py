"""The kind of detail a question asks for, and which sentences can hold it.

"How many patients were in it?", "where were those doctors based?", "which
journal?": BM25 alone ranks sentences by the question's rare words, and
"patients" or "doctors" are everywhere in the article. The answer to "how
many" holds a number, to "where" an institution or a place, to "which
journal" a publication. A sentence of the right kind is preferred among those
that share the question's words (:data:`DETAIL_GAIN`); it is never chosen on
its kind alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Score factor for a sentence that holds the kind of detail asked.
DETAIL_GAIN = 1.6

# Number words that are counts ("one" and "all" are in too many other sentences).
_NUMBER_WORDS = (r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
                 r"fifty|hundred|dozen|half|majority")


@dataclass(frozen=True)
class Detail:
    """A kind of detail: how a question asks for it, and how a sentence holds it."""

    name: str
    asked: re.Pattern[str]
    held: re.Pattern[str]


DETAILS = (
    Detail("duration",
           re.compile(r"\bhow long\b|\bfor how many (years|months|weeks|days)\b", re.I),
           re.compile(r"\b(\d+|" + _NUMBER_WORDS + r"|several|few)[- ](years?|months?|weeks?|days?|hours?)\b",
                      re.I)),
    Detail("count",
           re.compile(r"\bhow many\b|\bhow much\b|\bnumber of\b|\bhow (big|large) (was|were)\b"
                      r"|\bwhat (percent|percentage|proportion|share)\b", re.I),
           re.compile(r"\b\d[\d,.]*\b|%|\bpercent\b|\b(" + _NUMBER_WORDS + r")\b", re.I)),
    Detail("place",
           re.compile(r"\bwhere\b|\bwhich (research )?(cent(er|re)|university|universities|hospital|clinic|"
                      r"institution|institute|country|city|school|team|group)\b|\bbased\b", re.I),
           # The place's name is capitalised ("in Arizona"), so only the institutions ignore case.
           re.compile(r"(?i:\b(universit\w*|cent(er|re)|clinic|hospital|institute|college|school of|"
                      r"department|foundation|affairs|national)\b)|\b(in|at|from) [A-Z][a-z]+")),
    Detail("journal",
           # Not "what did that same paper say?": that asks what it found.
           re.compile(r"\b(journal|published|publication|paper|printed|in print)\b"
                      r"(?! (say|said|find|found|show|showed|conclude))|\bput (that|it|this) out\b", re.I),
           re.compile(r"\b(published|journal|reported in|appeared in)\b", re.I)),
    Detail("who",
           # "Who done that study?": visitors write as they speak.
           re.compile(r"\bwho (wrote|did|done|dun|led|ran|conducted|found|made|said|developed|introduced"
                      r"|was behind|is behind)\b"
                      r"|\bwhich (doctors?|authors?|researchers?|scientists?|surgeons?)\b", re.I),
           # A study is often named by its institution ("doctors at the Steadman Clinic").
           re.compile(r"\b(dr\.?|doctors?|et al|researchers|authors|led by|surgeons?|universit\w*|clinic"
                      r"|hospital|institute)\b", re.I)),
    Detail("year",
           re.compile(r"\bwhen was\b|\bwhat year\b|\bwhich year\b|\bhow (old|recent) is\b", re.I),
           re.compile(r"\b(19|20)\d\d\b")),
    Detail("age",
           # "How old?" after a study: the patients' ages ("average age 55 years").
           re.compile(r"\bhow old\b(?! is (it|that|the|this))|\bwhat ages?\b|\b(average|mean) age\b", re.I),
           re.compile(r"\bages?d?\b|\byears? old\b|\b\d+ years of age\b", re.I)),
)


def asked_details(question: str) -> tuple[Detail, ...]:
    """The kinds of detail the question asks for (the first one matching each way of asking)."""
    return tuple(d for d in DETAILS if d.asked.search(question))


def detail_factor(details: tuple[Detail, ...], sentence: str) -> float:
    """DETAIL_GAIN when the sentence holds a detail of an asked kind, else 1."""
    return DETAIL_GAIN if any(d.held.search(sentence) for d in details) else 1.0

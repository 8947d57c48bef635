"""Conversation fuzzer: no message, in any state, leads to a dead end.

Against the real Rasa and action servers (REST channel):

1. **Every input in every state.** Each state the bot can be in (fresh; after
   each kind of reply, also after an answer to a follow-up; at each booking step; after confirming, cancelling or
   refusing consent) is reached by its own short script; then one input is
   sent: every intent of the domain as a payload, every button payload the bot
   sent while reaching the states, everyday words, office names, follow-ups
   ("which journal was that in?") and hostile strings. Then an FAQ question.
2. **Seeded random walks** (``FUZZ_WALKS``, default 500, of 10 turns) mixing
   FAQ questions, everyday words, the buttons of the latest reply, other
   payloads, booking answers and hostile strings, then an FAQ question.

Every turn must return 1-6 bot messages, each with a ``custom.kind``, none
repeated, and not be the "technical problem" reply; every FAQ question must
get ``kind: answer``. The test prints how many states and turns it covered.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from assistant.faq import faq_index
from assistant.paths import PROJECT_ROOT
from tests.e2e.conftest import running_bot

MAX_MESSAGES = 6
WALKS = int(os.environ.get("FUZZ_WALKS", "500"))
WALK_TURNS = 10
SEED = int(os.environ.get("FUZZ_SEED", "20261125"))
WORKERS = 4

EVERYDAY = ["yes", "no", "ok", "sure", "nope", "yeah", "no thanks", "Oak Park", "Fort Myers",
            "never mind", "again", "Bobby Tables", "thanks", "hi", "bye", "what can you do",
            "talk to a person", "book an appointment", "stop", "skip", "confirm", "change the office"]
HOSTILE = ["", "   ", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "x" * 6000,
           "\x00\x01\x02", "'; DROP TABLE events; --", "🙂🔥🙂", "{{7*7}}", "/no_such_intent",
           '/choose_topic{"topic": "no_such_topic"}', '/correct_booking{"booking_field": "nope"}',
           '/choose_office{"office": "mars"}', '/choose_topic{"topic": ', "?" * 40]
# Follow-ups (issue 30): read in the context of an answer, anything else elsewhere.
FOLLOWUPS = ["how many patients?", "which journal was that in?", "what about PRP instead?",
             "and who wrote that?", "is that true for women too?", "how many of those would I need?"]
BOOKING_ANSWERS = ["Jane Doe", "José Álvarez-Núñez", "708 555 0123", "jane@example.com",
                   "(239) 555-0199", "weekday mornings", "any time", "my SI joint hurts when I sit",
                   '/choose_office{"office": "oak_park"}', '/choose_office{"office": "fort_myers"}']
# The first phrasing of these FAQs is asked to check that the bot still answers.
PROBE_TOPICS = ("prolotherapy_what", "fusion_only_option", "prp_what", "si_joint_what",
                "clinic_offices", "diagnostic_clues")
# Vague queries; which one gets a clarifying question depends on the trained model.
CLARIFY_CANDIDATES = ["fusion", "research", "study results", "PRP", "prolotherapy or PRP", "fusion surgery",
                      "evidence", "injections", "treatment", "pain", "studies", "SI joint", "surgery", "shots"]


def domain_intents() -> list[str]:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]]


def utterances(messages: list[dict]) -> list[dict]:
    """REST output regrouped into bot messages.

    The REST channel sends each bot message as its text (split at blank lines,
    buttons on the last part) followed by a separate ``{"custom": ...}``
    message; every bot message here carries one, so it closes the group.
    """
    grouped: list[dict] = []
    texts: list[str] = []
    buttons: list[dict] = []
    for message in messages:
        if "custom" in message:
            grouped.append({"text": "\n\n".join(texts), "buttons": buttons, "custom": message["custom"]})
            texts, buttons = [], []
        else:
            texts.append(message.get("text") or "")
            buttons += message.get("buttons") or []
    if texts or buttons:
        grouped.append({"text": "\n\n".join(texts), "buttons": buttons, "custom": None})
    return grouped


@dataclass
class Turn:
    state: str
    text: str
    messages: list[dict]

    @property
    def bot_messages(self) -> list[dict]:
        return utterances(self.messages)

    @property
    def kinds(self) -> list[str]:
        return [m["custom"].get("kind") for m in self.bot_messages if isinstance(m["custom"], dict)]

    @property
    def customs(self) -> list[dict]:
        return [m["custom"] for m in self.bot_messages if isinstance(m["custom"], dict)]

    @property
    def payloads(self) -> list[str]:
        return [b["payload"] for m in self.bot_messages for b in m["buttons"]]

    def problems(self) -> list[str]:
        found = []
        sent = self.bot_messages
        if not sent:
            found.append("no reply")
        if len(sent) > MAX_MESSAGES:
            found.append(f"{len(sent)} messages")
        if not all(isinstance(m["custom"], dict) and m["custom"].get("kind") for m in sent):
            found.append("a message without custom.kind")
        shown = [json.dumps(m, sort_keys=True) for m in sent]
        if len(shown) != len(set(shown)):
            found.append("a message repeated")
        if any(c.get("reason") == "unavailable" for c in self.customs):
            found.append("technical-problem reply")
        return found


@dataclass
class Findings:
    turns: int = 0
    states: Counter = field(default_factory=Counter)
    dead_ends: list[str] = field(default_factory=list)

    def check(self, turn: Turn, must_answer: bool = False) -> None:
        self.turns += 1
        self.states[turn.state] += 1
        problems = turn.problems()
        if must_answer and "answer" not in turn.kinds:
            problems.append(f"FAQ question not answered (kinds {turn.kinds})")
        if problems:
            self.dead_ends.append(f"[{turn.state}] {turn.text[:60]!r}: {', '.join(problems)}; "
                                  f"kinds {turn.kinds}")


class Conversation:
    def __init__(self, bot, findings: Findings):
        self.bot, self.findings = bot, findings
        self.sender = uuid.uuid4().hex
        self.last: Turn | None = None

    def say(self, text: str, state: str, must_answer: bool = False) -> Turn:
        turn = Turn(state, text, self.bot.send(text, self.sender))
        self.findings.check(turn, must_answer)
        self.last = turn
        return turn


def step_is(step: str) -> Callable[[Turn], bool]:
    return lambda turn: any(c.get("step") == step for c in turn.customs)


def kind_is(kind: str) -> Callable[[Turn], bool]:
    return lambda turn: kind in turn.kinds


BOOKING = ["/book_appointment", "Jane Doe", "708 555 0123", '/choose_office{"office": "oak_park"}',
           "weekday mornings", "skip"]
# state -> (messages that reach it, check of the last reply)
STATES: dict[str, tuple[list[str], Callable[[Turn], bool] | None]] = {
    "fresh": ([], None),
    "after a greeting": (["hello"], kind_is("smalltalk")),
    "after an answer": (['/choose_topic{"topic": "prp_what"}'], kind_is("answer")),
    "after a follow-up answer": (['/choose_topic{"topic": "study_hauser_2009"}', "were they able to come off their pain meds?"],
                                 lambda turn: any(c.get("followup_to") for c in turn.customs)),
    "after a which-one question": (['/choose_topic{"topic": "prp_vs_steroids"}', "does it hurt?"],
                                   lambda turn: any(c.get("subjects") for c in turn.customs)),
    "after a clarifying question": (["<clarify>"], kind_is("clarify")),
    "after a decline": (["how do I change a car tyre"], kind_is("fallback")),
    "after urgent advice": (["I can't control my bladder since this morning"], kind_is("urgent")),
    "after small talk": (["thanks"], kind_is("smalltalk")),
    "after a handoff": (["/human_handoff"], kind_is("handoff")),
    "after unusable input": ([""], kind_is("fallback")),
    "booking: name": (BOOKING[:1], step_is("booking_name")),
    "booking: contact": (BOOKING[:2], step_is("booking_contact")),
    "booking: office": (BOOKING[:3], step_is("booking_office")),
    "booking: times": (BOOKING[:4], step_is("booking_times")),
    "booking: problem": (BOOKING[:5], step_is("booking_problem")),
    "booking: consent": (BOOKING[:6], step_is("booking_consent")),
    "booking: summary": ([*BOOKING, "/affirm"], step_is("summary")),
    "after confirming": ([*BOOKING, "/affirm", "/confirm_booking"],
                         lambda t: any(c.get("booking_reference") for c in t.customs)),
    "after cancelling": (["/book_appointment", "/stop"], kind_is("booking")),
    "after refusing consent": ([*BOOKING, "/deny"], kind_is("booking")),
}


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    """Servers of its own: thousands of fuzz conversations would crowd the console tests' data."""
    with running_bot(tmp_path_factory.mktemp("fuzz")) as running:
        yield running


@pytest.fixture(scope="module")
def probes(bot) -> list[str]:
    """FAQ questions the bot answers in a fresh conversation (the check after each input)."""
    faqs = faq_index()
    questions = [faqs[t].phrasings[0] for t in PROBE_TOPICS if t in faqs]
    answered = [q for q in questions if "answer" in Turn("", q, bot.send(q)).kinds]
    assert len(answered) >= 3, f"only {answered} of {questions} answered in a fresh conversation"
    return answered


@pytest.fixture(scope="module")
def clarify_text(bot) -> str:
    """A message that gets "did you mean" from this model: vague words, then two FAQ titles at once."""
    faqs = list(faq_index().values())
    pairs = [f"{a.title} or {b.title}?" for a, b in itertools.combinations(faqs, 2)]
    for text in [*CLARIFY_CANDIDATES, *pairs]:
        if "clarify" in Turn("", text, bot.send(text)).kinds:
            return text
    pytest.fail("no vague query and no pair of FAQ titles gets a clarifying question")


def reach(bot, findings: Findings, state: str, clarify_text: str) -> Conversation:
    script, check = STATES[state]
    conversation = Conversation(bot, findings)
    for text in script:
        conversation.say(clarify_text if text == "<clarify>" else text, f"reaching {state}")
    if check is not None:
        assert conversation.last is not None and check(conversation.last), (
            f"could not reach '{state}': {conversation.last and conversation.last.messages}")
    return conversation


def run_parallel(jobs: list[Callable[[], None]]) -> None:
    with ThreadPoolExecutor(WORKERS) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def report(findings: Findings, title: str) -> None:
    out = Path(PROJECT_ROOT, "var", "reports")
    out.mkdir(parents=True, exist_ok=True)
    lines = [f"{title}: {findings.turns} turns, {len(findings.states)} states, "
             f"{len(findings.dead_ends)} dead ends", *findings.dead_ends[:200]]
    (out / f"fuzz-{title.split()[0].lower()}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + lines[0])


def test_every_input_in_every_state(bot, probes, clarify_text):
    findings = Findings()
    # The buttons the bot offers on the way are inputs too.
    seen_payloads: set[str] = set()
    for state in STATES:
        conversation = reach(bot, findings, state, clarify_text)
        seen_payloads.update(p for p in (conversation.last.payloads if conversation.last else []))
    inputs = sorted({*(f"/{intent}" for intent in domain_intents()), *seen_payloads, *EVERYDAY,
                     *HOSTILE, *FOLLOWUPS})

    def probe(state: str, text: str, question: str) -> Callable[[], None]:
        def job() -> None:
            conversation = reach(bot, findings, state, clarify_text)
            conversation.say(text, state)
            conversation.say(question, f"{state}, then an FAQ question", must_answer=True)
        return job

    rng = random.Random(SEED)
    run_parallel([probe(state, text, rng.choice(probes)) for state in STATES for text in inputs])
    report(findings, f"States x inputs ({len(STATES)} states x {len(inputs)} inputs)")
    assert not findings.dead_ends, "\n".join(findings.dead_ends[:30])


def test_seeded_random_walks(bot, probes, clarify_text):
    findings = Findings()
    intents = [f"/{intent}" for intent in domain_intents()]

    def walk(seed: int) -> Callable[[], None]:
        def job() -> None:
            rng = random.Random(seed)
            conversation = Conversation(bot, findings)
            for _ in range(WALK_TURNS):
                pool = rng.choices(["faq", "everyday", "button", "intent", "booking", "hostile", "followup"],
                                   weights=[3, 3, 4, 1, 3, 1, 2])[0]
                buttons = conversation.last.payloads if conversation.last else []
                if pool == "faq":
                    text = rng.choice([*probes, clarify_text])
                elif pool == "button" and buttons:
                    text = rng.choice(buttons)
                elif pool == "intent":
                    text = rng.choice(intents)
                elif pool == "booking":
                    text = rng.choice(BOOKING_ANSWERS)
                elif pool == "hostile":
                    text = rng.choice(HOSTILE)
                elif pool == "followup":
                    text = rng.choice(FOLLOWUPS)
                else:
                    text = rng.choice(EVERYDAY)
                state = ", ".join(sorted(set(conversation.last.kinds))) if conversation.last else "fresh"
                steps = [c["step"] for c in (conversation.last.customs if conversation.last else [])
                         if c.get("step")]
                conversation.say(text, f"{state} {steps[-1] if steps else ''}".strip(),
                                 must_answer=text in probes)
            conversation.say(rng.choice(probes), "end of walk", must_answer=True)
        return job

    run_parallel([walk(SEED + n) for n in range(WALKS)])
    report(findings, f"Walks ({WALKS} seeded walks of {WALK_TURNS} turns)")
    assert not findings.dead_ends, "\n".join(findings.dead_ends[:30])

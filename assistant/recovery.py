"""Keep a conversation usable after a turn went wrong, and mark it for staff.

Two things can break a turn: Rasa's circuit breaker (too many actions in one
turn; the rules and ``TurnLimitPolicy`` should make it impossible) and a
failed custom action (the action server is down or raised), which leaves the
visitor without a reply. Either way the stored conversation gets a
``bot_error`` slot event, which the staff console shows as "Bot error".

After the circuit breaker, Rasa saves the conversation without a closing
``action_listen``; every later message would then trip the breaker at once
and the conversation would be dead for good. The handler resets the dialogue
state (form, booking answers) and closes the turn, so the next message is
handled normally. The events already stored stay as they are.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.core.agent import Agent
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

log = logging.getLogger(__name__)

BOT_ERROR_SLOT = "bot_error"
CIRCUIT_BREAKER = "circuit_breaker"
NO_REPLY = "no_reply"
# The booking answers a reset clears (the reference of a sent request stays).
BOOKING_SLOTS = ("booking_name", "booking_contact", "booking_phone", "booking_email",
                 "booking_office", "booking_times", "booking_problem", "booking_consent",
                 "booking_field")


def reset_after_circuit_break(tracker: DialogueStateTracker, *_: Any) -> None:
    """``MessageProcessor.on_circuit_break``: runs inside the turn, before it is saved."""
    log.warning("circuit breaker tripped for a conversation; resetting its dialogue state")
    tracker.update(ActiveLoop(None))
    for slot in (REQUESTED_SLOT, *BOOKING_SLOTS):
        if slot in tracker.slots:
            tracker.update(SlotSet(slot, None))
    tracker.update(SlotSet(BOT_ERROR_SLOT, CIRCUIT_BREAKER))
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))


def install(agent: Agent | None) -> None:
    """Register the handler on the agent's current processor (a new model brings a new one)."""
    processor = getattr(agent, "processor", None)
    if processor is not None and processor.on_circuit_break is not reset_after_circuit_break:
        processor.on_circuit_break = reset_after_circuit_break


async def record_no_reply(agent: Agent | None, sender_id: str, message: dict[str, Any]) -> None:
    """Store what the visitor saw instead of a reply, and the error mark.

    The channel sends that message itself, outside Rasa, so without this the
    transcript would show a question with no answer and no reason.
    """
    if agent is None or agent.tracker_store is None:
        return
    try:
        async with agent.lock_store.lock(sender_id):
            tracker = await agent.tracker_store.retrieve(sender_id)
            if tracker is None:
                return
            tracker.update(BotUttered(message.get("text"), data={"custom": message.get("custom")}))
            tracker.update(SlotSet(BOT_ERROR_SLOT, NO_REPLY))
            await agent.tracker_store.save(tracker)
    except Exception:  # the visitor already has their reply; never fail the request here
        log.exception("could not record a turn without a reply")

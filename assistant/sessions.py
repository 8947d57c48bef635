"""Bound the work per message in a long conversation with a new session.

Rasa's policies walk every event of the session for every message (and after
a restart Rasa rebuilds the session from the tracker store), so a reply gets
slower as a conversation grows (measured: 40 ms for the first messages, 149 ms at message 200). Rasa
only starts a new session after an idle gap (``session_expiration_time`` in
domain.yml); this adds one after ``SESSION_MAX_MESSAGES`` visitor messages,
between two turns and never while a booking is open. The SQL tracker store then
loads only the new session; the earlier events stay stored, and the staff
console still shows the whole conversation.

Messages are counted in memory per Rasa process (a count of the stored events
on every message would cost what it saves); after a restart, or with several
Rasa replicas, a session can run longer than the limit, never unboundedly.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict

from rasa.core.actions.action import action_for_name_or_text
from rasa.core.agent import Agent
from rasa.core.channels.channel import OutputChannel
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.trackers import DialogueStateTracker

log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGES = 100
_TRACKED_CONVERSATIONS = 50_000  # counters kept; the oldest are forgotten first
_counts: OrderedDict[str, int] = OrderedDict()


def max_messages() -> int:
    """0 turns the limit off."""
    try:
        return max(0, int(os.environ.get("SESSION_MAX_MESSAGES", DEFAULT_MAX_MESSAGES)))
    except ValueError:
        return DEFAULT_MAX_MESSAGES


def _count(sender_id: str) -> int:
    count = _counts.pop(sender_id, 0) + 1
    _counts[sender_id] = count
    while len(_counts) > _TRACKED_CONVERSATIONS:
        _counts.popitem(last=False)
    return count


def _booking_open(tracker: DialogueStateTracker) -> bool:
    slots = tracker.current_slot_values()
    return bool(tracker.active_loop_name) or any(
        value not in (None, "") for name, value in slots.items()
        if name.startswith("booking_") and name != "booking_reference")


async def start_new_session_if_long(agent: Agent | None, sender_id: str,
                                    output_channel: OutputChannel) -> bool:
    """Before a visitor message: start a new session if this one is long. True if it did."""
    limit = max_messages()
    if not limit or agent is None or agent.processor is None or _count(sender_id) <= limit:
        return False
    processor = agent.processor
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.tracker_store.retrieve(sender_id)
        if tracker is None or _booking_open(tracker):
            return False  # try again at the next message
        action = action_for_name_or_text(ACTION_SESSION_START_NAME, processor.domain,
                                         processor.action_endpoint)
        events = await action.run(output_channel, processor.nlg, tracker, processor.domain)
        tracker.update_with_events(events, processor.domain)
        await agent.tracker_store.save(tracker)
    _counts[sender_id] = 0
    log.debug("started a new session after %s messages", limit)
    return True

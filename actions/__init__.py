"""Custom actions run by the rasa-sdk action server (``python -m actions.server``).

Modules are split by concern: ``answers`` (FAQ answers, clarifying questions,
out-of-scope replies), ``safety`` (urgent care, unusable input),
``conversation`` (greeting, capabilities, handoff). ``replies`` holds the
message format every channel consumer relies on.
"""

"""Custom actions run by the rasa-sdk action server (``rasa run actions``).

Modules are split by concern: ``answers`` (FAQ answers, clarifying questions,
out-of-scope replies), ``safety`` (urgent care, unusable input),
``conversation`` (greeting, capabilities, handoff). ``replies`` holds the
message format every channel consumer relies on.
"""

"""Every reply kind written outside Python is one of ReplyKind's.

The domain's fixed responses and the web widget name kinds as plain strings
(YAML, JavaScript, CSS); a typo there would silently lose a bubble's style or
a console flag, so they are checked against the one list.
"""

from __future__ import annotations

import re

import yaml

from assistant.paths import PROJECT_ROOT
from assistant.reply_kinds import ReplyKind

WIDGET = PROJECT_ROOT / "webapp" / "static" / "widget"


def test_the_domains_responses_name_known_kinds() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    kinds = {variant["custom"]["kind"] for variants in domain["responses"].values()
             for variant in variants if "custom" in variant}
    assert kinds and kinds <= set(ReplyKind)


def test_the_widget_names_known_kinds() -> None:
    script = (WIDGET / "widget.js").read_text()
    styles = (WIDGET / "widget.css").read_text()
    compared = set(re.findall(r"custom\.kind\s*===?\s*\"([a-z_]+)\"", script))
    styled = set(re.findall(r"\.sij-kind-([a-z_]+)", styles))
    assert compared and styled, "the widget no longer compares or styles reply kinds: update this test"
    assert compared | styled <= set(ReplyKind)
    assert "sij-kind-" in script  # the class the styles above are matched against


def test_kinds_are_plain_strings_in_json() -> None:
    import json

    assert json.dumps({"kind": ReplyKind.ANSWER}) == '{"kind": "answer"}'
    assert f"{ReplyKind.URGENT}" == "urgent"

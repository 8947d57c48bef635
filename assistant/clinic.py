"""The clinic's contact facts (``data/clinic.yml``), written once.

FAQ answers and bot messages use ``{offices}``, ``{phones}`` and ``{fax}``
placeholders that are filled from here, so a new phone number is one edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.paths import PROJECT_ROOT

CLINIC_FILE = PROJECT_ROOT / "data" / "clinic.yml"


def fold(text: str) -> str:
    """Lower case, commas and underscores as spaces, single spaces: how office names are compared."""
    return " ".join(text.lower().replace(",", " ").replace("_", " ").split())


@dataclass(frozen=True)
class Office:
    id: str
    name: str
    short_name: str
    address: str
    phone: str
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> set[str]:
        """Its own names, folded: "oak park", "oak park il" (aliases such as "chicago" not included)."""
        return {fold(self.id), fold(self.short_name), fold(self.short_name.split(",")[0])}

    def named_in(self, text: str, exact: bool = False) -> bool:
        """Whether ``text`` names this office; ``exact``: nothing but one of its own names."""
        value = fold(text)
        if exact:
            return value in self.names
        return any(f" {name} " in f" {value} " for name in {*self.names, *self.aliases})


@dataclass(frozen=True)
class Clinic:
    name: str
    network_status: str
    emergency_number: str
    crisis_line: str
    offices: tuple[Office, ...]
    fax: str
    time_zone: str = "UTC"

    def office(self, office_id: str | None) -> Office | None:
        return next((o for o in self.offices if o.id == office_id), None)

    def office_named(self, text: str, exact: bool = False) -> Office | None:
        """The first office ``text`` names ("Fort Myers", "the Chicago one"), see Office.named_in."""
        return next((o for o in self.offices if o.named_in(text, exact)), None)

    @property
    def phones(self) -> str:
        return " or ".join(f"{o.phone} ({o.short_name})" for o in self.offices)

    @property
    def offices_text(self) -> str:
        return "; ".join(f"{o.name}, {o.address}, phone {o.phone}" for o in self.offices)

    def fill(self, text: str) -> str:
        """Replace the contact placeholders; other braces are left alone."""
        for key, value in {"{offices}": self.offices_text, "{phones}": self.phones,
                           "{fax}": self.fax}.items():
            text = text.replace(key, value)
        return text


@lru_cache(maxsize=1)
def load_clinic(path: Path = CLINIC_FILE) -> Clinic:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    offices = tuple(Office(**{**office, "aliases": tuple(fold(str(a)) for a in office.get("aliases") or ())})
                    for office in data["offices"])
    return Clinic(
        name=data["name"],
        network_status=data["network_status"],
        emergency_number=str(data["emergency_number"]),
        crisis_line=str(data["crisis_line"]),
        offices=offices,
        fax=data["fax"],
        time_zone=str(data.get("time_zone") or "UTC"),
    )

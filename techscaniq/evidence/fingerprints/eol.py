"""End of life of detected technology versions, from the release-cycle table in eol.yaml (pure after load)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

EOL_PACKAGE = "techscaniq.evidence.fingerprints"
EOL_FILE = "eol.yaml"
_LEADING_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)")


@dataclass(frozen=True)
class Cycle:
    """One release cycle: its dotted prefix and when support ended (a date, True = ended undated, False = supported)."""

    name: str
    ends: date | bool

    @property
    def parts(self) -> tuple[int, ...]:
        """The cycle's numbers ("1.8" -> (1, 8))."""
        return tuple(int(p) for p in self.name.split("."))


@dataclass(frozen=True)
class Product:
    """A product's release cycles and the page they come from."""

    slug: str
    name: str
    source: str
    cycles: tuple[Cycle, ...]


@dataclass(frozen=True)
class EndOfLife:
    """The verdict for one version on one day: its cycle, the support end and whether that end has passed."""

    product: str
    cycle: str
    ends: date | None
    ended: bool
    source: str

    @property
    def note(self) -> str:
        """One clause an analyst can check against the source."""
        if self.ends is not None:
            verb = "ended" if self.ended else "ends"
            return f"support for the {self.cycle}.x cycle {verb} on {self.ends.isoformat()} ({self.source})"
        if self.ended:
            return f"the {self.cycle}.x cycle no longer receives fixes ({self.source})"
        return f"the {self.cycle}.x cycle is supported ({self.source})"

    def to_data(self) -> dict[str, Any]:
        """JSON-safe form stored in a technology item's data under `eol`."""
        return {
            "product": self.product,
            "cycle": self.cycle,
            "date": None if self.ends is None else self.ends.isoformat(),
            "ended": self.ended,
            "note": self.note,
            "source": self.source,
        }


def _ends(value: Any, where: str) -> date | bool:
    if isinstance(value, bool | date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from error
    raise ValueError(f"{where}: end of life must be a date, true or false, not {value!r}")


def parse_table(document: Mapping[str, Any]) -> dict[str, Product]:
    """Products by slug from the parsed YAML; ValueError names the entry that is wrong."""
    products = {}
    for slug, raw in dict(document["products"]).items():
        cycles = tuple(
            Cycle(str(name), _ends(value, f"{slug} {name}")) for name, value in dict(raw["cycles"]).items()
        )
        for cycle in cycles:
            if not re.fullmatch(r"\d+(?:\.\d+)*", cycle.name):
                raise ValueError(f"{slug}: cycle {cycle.name!r} must be dotted numbers")
        products[str(slug)] = Product(str(slug), str(raw["name"]), str(raw["source"]), cycles)
    return products


@lru_cache(maxsize=1)
def load_table() -> dict[str, Product]:
    """The packaged table (read once per process)."""
    text = resources.files(EOL_PACKAGE).joinpath(EOL_FILE).read_text(encoding="utf-8")
    return parse_table(yaml.safe_load(text))


def version_parts(version: str | None) -> tuple[int, ...]:
    """The leading dotted numbers of a version ("1.8.2-beta" -> (1, 8, 2)); () when it has none."""
    match = _LEADING_VERSION.match((version or "").strip())
    return tuple(int(p) for p in match.group(1).split(".")) if match else ()


def evaluate(
    slug: str, version: str | None, on: date, table: Mapping[str, Product] | None = None
) -> EndOfLife | None:
    """The end-of-life verdict for a version on a day; None when the product, version or cycle is unknown."""
    product = (load_table() if table is None else table).get(slug)
    parts = version_parts(version)
    if product is None or not parts:
        return None
    matching = [c for c in product.cycles if parts[: len(c.parts)] == c.parts]
    if not matching:
        return None
    cycle = max(matching, key=lambda c: len(c.parts))
    if isinstance(cycle.ends, date):
        return EndOfLife(slug, cycle.name, cycle.ends, on > cycle.ends, product.source)
    return EndOfLife(slug, cycle.name, None, cycle.ends, product.source)

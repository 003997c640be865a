"""The fingerprint samples: `samples.json` and every `samples_*.json` beside it, one technology in one file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "unit" / "fingerprint_samples"
DATA_DIR = Path(__file__).resolve().parents[2] / "techscaniq" / "evidence" / "fingerprints" / "data"


def load_samples() -> dict[str, dict[str, Any]]:
    """Every technology's sample record; a technology sampled in two files is an error."""
    samples: dict[str, dict[str, Any]] = {}
    for path in sorted(SAMPLES_DIR.glob("samples*.json")):
        for name, sample in json.loads(path.read_text(encoding="utf-8")).items():
            if name in samples:
                raise ValueError(f"{path.name}: {name!r} already has a sample in another file")
            samples[name] = sample
    return samples


def shipped_names_by_file() -> dict[str, list[str]]:
    """The technology names each shipped data file defines."""
    return {
        path.name: list(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(DATA_DIR.glob("*.json"))
        if path.name != "categories.json"
    }


RENDERED_SAMPLES = SAMPLES_DIR / "rendered_samples.json"


def load_rendered_samples() -> dict[str, dict[str, Any]]:
    """The `js` and `xhr` samples: per technology, the globals and request URLs a browser would report."""
    data: dict[str, dict[str, Any]] = json.loads(RENDERED_SAMPLES.read_text(encoding="utf-8"))
    return data

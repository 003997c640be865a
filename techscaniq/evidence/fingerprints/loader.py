"""Loading fingerprint data: the shipped files plus the operator's directories, checked strictly."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from techscaniq.evidence.fingerprints.matcher import (
    DATA_DIR,
    FingerprintDataError,
    FingerprintMatcher,
    Technology,
    compile_technology,
)

SKIPPED_FILES = ("categories.json", "groups.json")


def configured_dirs(setting: str) -> tuple[Path, ...]:
    """The directories named by TECHSCANIQ_FINGERPRINTS_DIR (one, or several joined by the path separator)."""
    return tuple(Path(part).expanduser() for part in setting.split(os.pathsep) if part.strip())


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise FingerprintDataError(f"{path}: cannot be read: {exc}") from exc
    except ValueError as exc:
        raise FingerprintDataError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise FingerprintDataError(
            f"{path}: expected a JSON object of technologies, got {type(data).__name__}"
        )
    return data


def _categories(path: Path) -> dict[str, str]:
    out = {}
    for key, value in _read_json(path).items():
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            raise FingerprintDataError(f'{path}: category {key!r} needs a "name"')
        out[str(key)] = value["name"]
    return out


def technology_files(directory: Path) -> list[Path]:
    """The technology files of a directory: `*.json` and `technologies/*.json`, in name order."""
    files = sorted(directory.glob("*.json")) + sorted((directory / "technologies").glob("*.json"))
    return [path for path in files if path.name not in SKIPPED_FILES]


def load_directory(directory: Path, base_categories: Mapping[str, str]) -> dict[str, Technology]:
    """Compile every technology of one directory; its categories.json adds to or renames the base ones."""
    if not directory.is_dir():
        raise FingerprintDataError(f"{directory}: fingerprint directory not found")
    categories = dict(base_categories)
    if (directory / "categories.json").is_file():
        categories.update(_categories(directory / "categories.json"))
    techs: dict[str, Technology] = {}
    for path in technology_files(directory):
        for name, spec in _read_json(path).items():
            if not isinstance(spec, dict):
                raise FingerprintDataError(f"{path}: technology {name!r} must be an object")
            try:
                techs[name] = compile_technology(name, spec, categories, strict=True)
            except FingerprintDataError as exc:
                raise FingerprintDataError(f"{path}: {exc}") from exc
    return techs


@functools.lru_cache(maxsize=8)
def load_cached(dirs: tuple[Path, ...]) -> FingerprintMatcher:
    """Our data, then each directory in turn (a later definition of the same name replaces an earlier one)."""
    base_categories = _categories(DATA_DIR / "categories.json")
    techs: dict[str, Technology] = {}
    for directory in (DATA_DIR, *dirs):
        techs.update(load_directory(directory, base_categories))
    return FingerprintMatcher(techs.values())

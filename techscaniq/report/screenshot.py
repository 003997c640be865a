"""The home-page screenshot a report shows: its PNG checked before any renderer or route hands it out.

The render phase stores the picture as base64 in the `screenshot` item's `data.png_base64`
(evidence/render/phase.py). Every reader goes through `screenshot_png`, which returns the bytes only when they
are a well-formed PNG of sensible size, so a stored item that was tampered with or cut short is never
embedded in a report or served as an image.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A 1280x800 viewport in RGBA is 4,096,000 bytes before compression; a PNG larger than that is not ours.
MAX_SCREENSHOT_BYTES = 4 * 1024 * 1024
# Sides larger than this are refused before any decoder sees them (a decompression bomb declares huge ones).
MAX_SIDE_PX = 4096
_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def png_size(raw: bytes) -> tuple[int, int] | None:
    """Width and height of a well-formed, capped PNG (signature, a valid IHDR first, IEND last); else None."""
    if len(raw) > MAX_SCREENSHOT_BYTES or len(raw) < len(PNG_SIGNATURE) + 25 + len(_IEND):
        return None
    if not raw.startswith(PNG_SIGNATURE) or not raw.endswith(_IEND):
        return None
    length, kind = struct.unpack(">I4s", raw[8:16])
    if length != 13 or kind != b"IHDR":
        return None
    body, crc = raw[16:29], struct.unpack(">I", raw[29:33])[0]
    if zlib.crc32(kind + body) != crc:
        return None
    width, height = struct.unpack(">II", body[:8])
    if not (0 < width <= MAX_SIDE_PX and 0 < height <= MAX_SIDE_PX):
        return None
    return width, height


def screenshot_png(data: Mapping[str, Any]) -> bytes | None:
    """The PNG of a screenshot item's data when it is one (strict base64, checked by `png_size`); else None."""
    encoded = data.get("png_base64")
    if not isinstance(encoded, str) or len(encoded) > (MAX_SCREENSHOT_BYTES * 4) // 3 + 4:
        return None
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if png_size(raw) is not None else None


def png_data_uri(raw: bytes) -> str:
    """A data: URI of bytes already checked by `png_size` (the only way an image enters the HTML report)."""
    if png_size(raw) is None:
        raise ValueError("not a well-formed PNG within the size caps")
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


def taken_time(value: str | None) -> str:
    """When a screenshot was taken, to the second in UTC ("2026-12-06 23:10:42 UTC"); the raw value if unparsable."""
    return in_utc(value, "%Y-%m-%d %H:%M:%S UTC") if value else "at an unknown time"


def in_utc(value: str, pattern: str) -> str:
    """An ISO timestamp written with a strftime pattern in UTC; the raw value when it is not one."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime(pattern)

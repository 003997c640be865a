"""Regex and selector helpers of the fingerprint matcher: bounded repetition and the literals a match needs."""

from __future__ import annotations

import re
import re._constants as sre_constants
import re._parser as sre_parse
from typing import Any

MAX_REPEAT = 250  # replaces unbounded + and * so one pattern cannot scan a whole page per start position
MIN_LITERAL_CHARS = 3  # shorter literals filter too little to be worth a lookup


def bound_repetition(pattern: str, limit: int = MAX_REPEAT) -> str:
    """Rewrite unbounded `+`, `*` and `{n,}` outside character classes to `{1,limit}`-style bounds."""
    out: list[str] = []
    i, n = 0, len(pattern)
    after_quantifier = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            after_quantifier = False
            continue
        if c == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            out.append(pattern[i : j + 1])
            i = j + 1
            after_quantifier = False
            continue
        if c in "+*" and not after_quantifier and out:
            out.append(f"{{{0 if c == '*' else 1},{limit}}}")
            after_quantifier = True
            i += 1
            continue
        if c == "{":
            m = re.match(r"\{(\d+)(,(\d*))?\}", pattern[i:])
            if m:
                low, comma, high = m.group(1), m.group(2), m.group(3)
                out.append(f"{{{low},{max(int(low), limit)}}}" if comma and not high else m.group(0))
                i += len(m.group(0))
                after_quantifier = True
                continue
        # `?` after `(` opens a group; elsewhere it is a quantifier (or the lazy mark after one)
        after_quantifier = c == "?" and bool(out) and out[-1] != "("
        out.append(c)
        i += 1
    return "".join(out)


def js_to_python(pattern: str) -> str:
    # JavaScript named groups are (?<name>...), Python's are (?P<name>...).
    return re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", pattern)


def required_literals(pattern: str) -> tuple[str, ...] | None:
    """Return lower-case literals one of which every match contains, or None if none is known."""
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError):
        return None
    try:
        found = _literals_of(list(parsed))
    except RecursionError:
        return None
    return found


def _score(cand: tuple[str, ...] | None) -> int:
    return min((len(s) for s in cand), default=0) if cand else 0


def _literals_of(items: list[Any]) -> tuple[str, ...] | None:
    best: tuple[str, ...] | None = None
    run: list[str] = []

    def consider(cand: tuple[str, ...] | None) -> None:
        nonlocal best
        if cand and _score(cand) > _score(best):
            best = cand

    def flush() -> None:
        text = "".join(run)
        run.clear()
        if text.isascii():  # non-ASCII case folding is not what str.lower() does
            consider((text.lower(),))

    for op, av in items:
        if op is sre_constants.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is sre_constants.SUBPATTERN:
            consider(_literals_of(list(av[-1])))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT) and av[0] >= 1:
            consider(_literals_of(list(av[2])))
        elif op is sre_constants.BRANCH:
            alts = [_literals_of(list(b)) for b in av[1]]
            if all(alts):
                consider(tuple(sorted({s for a in alts if a for s in a})))
    flush()
    if best is None or _score(best) < MIN_LITERAL_CHARS:
        return None
    return best


_SELECTOR_TOKEN = re.compile(
    r"[#.]((?:\\.|[\w-])+)|\[\s*([\w:-]+)\s*(?:[~|^$*]?=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\]\s]+)))?"
)


def selector_literals(selector: str) -> tuple[str, ...] | None:
    """Return literals one of which the html must contain for the selector to match anything."""
    parts: list[str] = []
    for alternative in _split_selector_list(selector):
        required = re.sub(r":not\([^)]*\)", "", alternative)
        tokens = [
            t.replace("\\", "").lower() for m in _SELECTOR_TOKEN.finditer(required) for t in m.groups() if t
        ]
        tokens = [t for t in tokens if t.isascii()]
        if not tokens:
            return None
        parts.append(max(tokens, key=len))
    if not parts or min(len(p) for p in parts) < MIN_LITERAL_CHARS:
        return None
    return tuple(sorted(set(parts)))


def _split_selector_list(selector: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, c in enumerate(selector):
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(selector[start:i])
            start = i + 1
    parts.append(selector[start:])
    return [p.strip() for p in parts if p.strip()]

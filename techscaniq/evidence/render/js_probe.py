"""Reading the page globals that `js` fingerprints name, without running any of the page's code.

The chains (`jQuery.fn.jquery`, `Intercom`) are followed through the DevTools protocol, not by a script in the
page: `Runtime.getProperties` lists an object's own properties natively, so a getter is returned and never called,
a Proxy shows only its internal slots (no trap runs), and nothing the page did to `Object` or `Reflect` changes the
answer. Only own data properties are followed; functions are traversed like objects (`jQuery.fn` hangs off one).
The reader is bounded: at most MAX_LOOKUPS objects listed, chains MAX_JS_CHAIN_PARTS deep, PROBE_SECONDS, strings
cut to VALUE_CHARS. Values come back in the form Wappalyzer's data expects: strings and numbers as they are,
booleans as `true`/`false`, any object or function as `true`; `null` and `undefined` count as absent.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Iterable
from typing import Any

from techscaniq.config import Settings

log = logging.getLogger(__name__)

MAX_LOOKUPS = 200  # objects listed per page (the global object is one)
VALUE_CHARS = 200
PROBE_SECONDS = 5.0
_LEAF = ""  # the trie key marking "a chain ends here" (no property name is empty in a chain)

Trie = dict[str, Any]


def chain_trie(chains: Iterable[str]) -> Trie:
    """The chains as a tree of property names; a node holding `_LEAF` ends a chain."""
    root: Trie = {}
    for chain in chains:
        node = root
        for part in chain.split("."):
            node = node.setdefault(part, {})
        node[_LEAF] = True
    return root


def string_form(remote: dict[str, Any]) -> str | None:
    """A DevTools RemoteObject as the string a `js` pattern sees; None for null and undefined."""
    kind = remote.get("type")
    if kind == "undefined" or remote.get("subtype") == "null":
        return None
    if kind == "string":
        return str(remote.get("value", ""))[:VALUE_CHARS]
    if kind == "number":
        if "unserializableValue" in remote:  # NaN, Infinity, -0
            return str(remote["unserializableValue"])
        value = remote.get("value")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)
    if kind == "boolean":
        return "true" if remote.get("value") else "false"
    if kind == "bigint":
        return str(remote.get("unserializableValue", "")).rstrip("n")
    return "true"  # objects, functions, symbols: present


async def read_chains(context: Any, page: Any, chains: tuple[str, ...]) -> dict[str, str]:
    """Chain -> string form for every chain the page defines; {} when nothing is asked or the probe fails."""
    if not chains:
        return {}
    found: dict[str, str] = {}
    try:
        await asyncio.wait_for(_probe(context, page, chain_trie(chains), found), timeout=PROBE_SECONDS)
    except Exception as exc:  # noqa: BLE001 - a data gap: what was read so far is kept
        log.info(
            "js probe stopped on %s: %s", getattr(page, "url", "?"), f"{type(exc).__name__}: {exc}"[:200]
        )
    return found


async def _probe(context: Any, page: Any, trie: Trie, found: dict[str, str]) -> None:
    session = await context.new_cdp_session(page)
    try:
        await _walk(session, trie, found)
    finally:
        # Detaching ends the DevTools session and with it every object handle the walk took.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(session.detach(), timeout=1.0)


async def _walk(session: Any, trie: Trie, found: dict[str, str]) -> None:
    # `this` at the top level of a classic script is the global object: evaluating it runs no page code.
    answer = await session.send("Runtime.evaluate", {"expression": "this", "silent": True})
    object_id = answer.get("result", {}).get("objectId")
    queue: list[tuple[str, Trie, str]] = [(object_id, trie, "")] if object_id else []
    lookups = 0
    while queue and lookups < MAX_LOOKUPS:
        object_id, node, prefix = queue.pop(0)
        lookups += 1
        listing = await session.send(
            "Runtime.getProperties",
            {
                "objectId": object_id,
                "ownProperties": True,
                "accessorPropertiesOnly": False,
                "generatePreview": False,
                "nonIndexedPropertiesOnly": True,
            },
        )
        for prop in listing.get("result", ()):
            child = node.get(prop.get("name"))
            value = prop.get("value")
            if child is None or value is None:  # not asked for, or an accessor (get/set, never called)
                continue
            path = f"{prefix}{prop['name']}"
            text = string_form(value)
            if text is None:
                continue
            if _LEAF in child:
                found[path] = text
            if (
                len(child) > (_LEAF in child)
                and value.get("objectId")
                and value.get("type") in ("object", "function")
            ):
                queue.append((value["objectId"], child, f"{path}."))


@functools.lru_cache(maxsize=8)
def _chains_of(fingerprints_dir: str) -> tuple[str, ...]:
    from techscaniq.evidence.fingerprints import FingerprintMatcher
    from techscaniq.evidence.fingerprints.loader import configured_dirs
    from techscaniq.evidence.fingerprints.matcher import FingerprintDataError

    try:
        return FingerprintMatcher.load(configured_dirs(fingerprints_dir)).js_chains
    except FingerprintDataError:
        return ()  # the technology collector reports the broken file; the browser reads nothing


def chains_for(settings: Settings) -> tuple[str, ...]:
    """The chains the loaded fingerprints' `js` patterns read (our data plus TECHSCANIQ_FINGERPRINTS_DIR)."""
    return _chains_of(settings.fingerprints_dir)

"""The js probe's pure parts: the chain tree and the string form of what the browser reports."""

from __future__ import annotations

import asyncio

from techscaniq.evidence.render.js_probe import VALUE_CHARS, chain_trie, read_chains, string_form


def test_chains_share_their_prefixes_in_one_tree() -> None:
    trie = chain_trie(["jQuery", "jQuery.fn.jquery", "jQuery.ui.version", "Vue.version"])
    assert set(trie) == {"jQuery", "Vue"}
    assert set(trie["jQuery"]) == {"", "fn", "ui"}  # "" marks a chain that ends at jQuery itself
    assert trie["jQuery"]["fn"]["jquery"] == {"": True}


def test_values_take_the_form_the_patterns_expect() -> None:
    assert string_form({"type": "string", "value": "x" * 5000}) == "x" * VALUE_CHARS
    assert string_form({"type": "number", "value": 2.0}) == "2"
    assert string_form({"type": "number", "value": 2.5}) == "2.5"
    assert string_form({"type": "number", "unserializableValue": "NaN"}) == "NaN"
    assert string_form({"type": "boolean", "value": False}) == "false"
    assert string_form({"type": "bigint", "unserializableValue": "10n"}) == "10"
    assert string_form({"type": "function", "objectId": "1"}) == "true"
    assert string_form({"type": "object", "subtype": "array", "objectId": "2"}) == "true"
    assert string_form({"type": "object", "subtype": "null", "value": None}) is None
    assert string_form({"type": "undefined"}) is None


def test_no_chains_asked_touches_no_browser() -> None:
    assert asyncio.run(read_chains(None, None, ())) == {}

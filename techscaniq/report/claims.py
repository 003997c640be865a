"""Claim checks for LLM prose: a sentence stays only when what it asserts appears in what it cites."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from techscaniq.domain import Evidence

# Certifications, attestations and standards: checked wherever they appear and in any letter case, because
# "fedramp" at the start of a sentence asserts as much as "FedRAMP" in the middle of one.
_STANDARD_WORDS = (
    "fedramp|stateramp|soc|iso|iec|hipaa|hitrust|pci|dss|gdpr|ccpa|cpra|nist|fips|cmmc|irap|tisax|c5|"
    "sox|glba|ferpa|coppa|csa|itar|cjis|nerc|nis2|hds|pipeda|lgpd|appi|ismap|mtcs"
)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_ALWAYS_CHECKED = re.compile(rf"\b(?:{_STANDARD_WORDS}|{_MONTHS})\b", re.IGNORECASE)
# "May" and "March" are also ordinary words: as month names they only count next to a number.
_AMBIGUOUS_MONTHS = {"may", "march", "mar", "jan", "sep", "dec"}

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MONEY = re.compile(r"([$€£¥₹])\s?(\d+(?:[.,]\d+)*)|(\d+(?:[.,]\d+)*)\s?(usd|eur|gbp|dollars|euros)\b", re.I)
_WORD = re.compile(r"[^\W\d_](?:[\w'’&-]*\w)?")
_SENTENCE_BREAK = re.compile(r"(?:^|[.:;!?]\s+|[\"“(\[]\s*|\n\s*)$")

# Capitalised words a report uses in passing that name no product, vendor, person or standard.
_GENERIC = """
    api apis sdk sdks cli cto ceo cfo coo cio ciso cpo vp svp evp hr it ui ux url urls uri http https html css js
    tls ssl dns ip ipv4 ipv6 cdn json xml rest graphql saas paas iaas b2b b2c pe ai ml llm sso mfa 2fa faq oss
    sbom arr mrr r&d kpi kpis sla slas slo slos rto rpo qa ci cd devops secops i a an the
"""
GENERIC_WORDS = frozenset(_GENERIC.split())


@dataclass(frozen=True)
class ClaimCheck:
    """Whether a sentence's claims are supported, and if not, which terms are missing from its sources."""

    missing: tuple[str, ...]

    @property
    def supported(self) -> bool:
        """True when every checked term appears in the cited sources."""
        return not self.missing

    @property
    def reason(self) -> str:
        """A short reason for the audit."""
        return "not in the cited evidence: " + ", ".join(repr(term) for term in self.missing[:8])


def _flatten(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield str(key)
            yield from _flatten(inner)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            yield from _flatten(inner)
    elif value is not None:
        yield str(value)


def evidence_text(item: Evidence) -> str:
    """All text an evidence item carries: title, summary, data values and its source URL."""
    data = " ".join(_flatten(item.data)) if isinstance(item.data, Mapping) else json.dumps(item.data)
    return " ".join((item.type.replace("_", " "), item.title, item.summary, data, item.source_url))


def _numbers(text: str) -> set[str]:
    return {_normalise_number(n) for n in _NUMBER.findall(text)}


def _normalise_number(number: str) -> str:
    plain = number.replace(",", "")
    whole, _, fraction = plain.partition(".")
    fraction = fraction.rstrip("0")
    return (whole.lstrip("0") or "0") + ("." + fraction if fraction else "")


def _money(text: str) -> set[str]:
    amounts = set()
    for symbol, amount, amount_after, word in _MONEY.findall(text):
        currency = (symbol or word).lower()
        currency = {"usd": "$", "dollars": "$", "eur": "€", "euros": "€", "gbp": "£"}.get(currency, currency)
        amounts.add(currency + _normalise_number(amount or amount_after))
    return amounts


def _is_sentence_start(text: str, start: int) -> bool:
    return bool(_SENTENCE_BREAK.search(text[:start]))


def _name_like(word: str) -> bool:
    return any(ch.isupper() for ch in word)


def claim_terms(sentence: str) -> tuple[set[str], set[str], set[str]]:
    """The words, numbers and money amounts a sentence asserts (generic words and sentence-case starts aside)."""
    words: set[str] = set()
    for match in _WORD.finditer(sentence):
        word = match.group(0).strip("'’-")
        lower = word.lower()
        if lower in GENERIC_WORDS or lower.rstrip("s") in GENERIC_WORDS:
            continue
        if _ALWAYS_CHECKED.fullmatch(word):
            if lower in _AMBIGUOUS_MONTHS and not re.search(r"\d", sentence[match.end() : match.end() + 6]):
                continue
            words.add(lower)
            continue
        if not _name_like(word):
            continue
        inner_capitals = any(ch.isupper() for ch in word[1:])
        if _is_sentence_start(sentence, match.start()) and not inner_capitals:
            continue
        words.add(lower)
    for phrase in re.findall(r"\b(?:common criteria|cyber essentials|privacy shield)\b", sentence, re.I):
        words.add(phrase.lower())
    return words, _numbers(sentence), _money(sentence)


class SupportIndex:
    """What a report may say without new evidence, and the text each evidence item backs."""

    def __init__(
        self, evidence: Sequence[Evidence], findings: Sequence[Any], context: Iterable[str] = ()
    ) -> None:
        self._items = {item.id: evidence_text(item) for item in evidence}
        self._findings: dict[str, list[str]] = {}
        for finding in findings:
            text = f"{finding.rule.name} {finding.observation}"
            for evidence_id in finding.evidence_ids:
                self._findings.setdefault(evidence_id, []).append(text)
        self._context = " ".join(context)

    def source_text(self, evidence_ids: Sequence[str]) -> str:
        """The cited items' own text, the deterministic findings they back and the report's context."""
        parts = [self._context]
        for evidence_id in evidence_ids:
            parts.append(self._items.get(evidence_id, ""))
            parts.extend(self._findings.get(evidence_id, ()))
        return "\n".join(parts)

    def check(self, sentence: str, evidence_ids: Sequence[str]) -> ClaimCheck:
        """Every standard, number, money amount, date and name in the sentence must appear in its sources."""
        source = self.source_text(evidence_ids)
        words, numbers, money = claim_terms(sentence)
        source_words = {w.lower().strip("'’-") for w in _WORD.findall(source)}
        source_lower = source.lower()
        missing = [
            word
            for word in sorted(words)
            if word not in source_words and not re.search(rf"\b{re.escape(word)}\b", source_lower)
        ]
        missing += sorted(numbers - _numbers(source))
        missing += sorted(money - _money(source))
        return ClaimCheck(tuple(missing))

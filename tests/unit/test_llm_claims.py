"""The claim check that keeps an LLM sentence only when its cited evidence names what it asserts."""

from __future__ import annotations

from techscaniq.report.claims import SupportIndex, claim_terms
from tests.support.report_samples import sample_evidence


def _index() -> tuple[SupportIndex, dict[str, str]]:
    evidence = sample_evidence()
    return SupportIndex(evidence, [], ["Northwind Ledger"]), {e.dedup_key: e.id for e in evidence}


def test_standards_numbers_money_dates_and_names_are_the_checked_terms() -> None:
    words, numbers, money = claim_terms("In March 2024 Jane Doe said fedramp costs $1,200,000.")
    assert {"march", "jane", "doe", "fedramp"} <= words and "in" not in words
    assert numbers == {"2024", "1200000"} and money == {"$1200000"}
    assert claim_terms("The API and the CTO may help.") == (set(), set(), set())


def test_a_sentence_stays_only_when_its_cited_items_name_what_it_asserts() -> None:
    index, ids = _index()
    assert index.check("Northwind Ledger has completed a SOC 2 Type II audit.", [ids["soc2"]]).supported
    assert index.check("Enterprise plans include a 99.90% uptime SLA.", [ids["sla"]]).supported
    unrelated = index.check("Northwind Ledger holds FedRAMP High authorization.", [ids["sla"]])
    assert unrelated.missing == ("fedramp", "high") and "'fedramp'" in unrelated.reason
    assert index.check("The SLA is 99.99 %.", [ids["sla"]]).missing == ("99.99",)
    assert not index.check("fedramp moderate is held.", [ids["soc2"]]).supported

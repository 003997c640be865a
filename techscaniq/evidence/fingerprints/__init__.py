"""Technology fingerprints: our curated Wappalyzer-format data and the matcher that applies it."""

from techscaniq.evidence.fingerprints.matcher import (
    Detection,
    FingerprintMatcher,
    PageSignals,
    SignalMatch,
    SiteSignals,
)

__all__ = ["Detection", "FingerprintMatcher", "PageSignals", "SignalMatch", "SiteSignals"]

"""The operations host (TECHSCANIQ_FLOWER_HOST): Flower's own origin, kept apart from the app's."""

from __future__ import annotations


def flower_host_matches(configured: str, host: str) -> bool:
    """True when a request's Host is the operations host (its port only compared when one is configured)."""
    configured, host = configured.strip().lower(), host.strip().lower()
    if not configured:
        return False
    if without_port(configured) != configured:
        return host == configured
    return without_port(host) == configured


def without_port(host: str) -> str:
    """A Host value without its port ("[::1]:80" → "[::1]")."""
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() else host

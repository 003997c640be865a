"""One door to the network (docs/fetch-safety.md §1): only the guard and named modules import a network client."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "techscaniq"
NETWORK_MODULES = ("requests", "urllib3", "http.client", "urllib.request", "socket", "httpx", "aiohttp")
# Every module allowed to import a network client, and why.
ALLOWED = {
    "evidence/fetch.py": "the guard: every request for a scanned site",
    "evidence/fetch_pinning.py": "the guard's connections, pinned to checked addresses",
    "evidence/tls_probe.py": "TLS handshakes over sockets the guard opened",
    "api/flower.py": "the operator's Flower, behind the admin-only proxy",
    "cli.py": "waits for the local servers it starts",
    "demo/server.py": "serves the demo site on loopback",
    "demo/dns_server.py": "serves the demo zone on loopback",
}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _uses_network(imported: set[str]) -> bool:
    return any(
        name == module or name.startswith(module + ".") for name in imported for module in NETWORK_MODULES
    )


def test_only_the_guard_and_named_modules_import_a_network_client() -> None:
    found = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if _uses_network(_imported_modules(path))
    }
    unexpected = sorted(found - set(ALLOWED))
    assert not unexpected, f"route these through GuardedFetcher (docs/fetch-safety.md §1): {unexpected}"


def test_the_check_sees_every_import_form(tmp_path: Path) -> None:
    samples = {
        "a.py": "import requests\n",
        "b.py": "from urllib import request\n",
        "c.py": "from http.client import HTTPConnection\n",
        "d.py": "import socket as s\n",
        "e.py": "import json\n",
    }
    for name, text in samples.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    flagged = sorted(p.name for p in tmp_path.glob("*.py") if _uses_network(_imported_modules(p)))
    assert flagged == ["a.py", "b.py", "c.py", "d.py"]

"""Extra hosts of the demo site: a registry that host modules plug into.

The Northwind hosts (`techscaniq.demo.northwind`) are always built. A module that adds hosts of its own (a fixture
for a feature's tests) defines a function that takes the `SiteBuilder`, adds its host with
`builder.add_host(label, name)` and its responses with `builder.add(label, path, body, content_type)`, records its
planted facts in `builder.extra_manifest[name]`, and registers it:

    @register_host("botwall")
    def build_botwall(builder: SiteBuilder) -> None: ...

Then its module name goes into `HOST_MODULES` below, so `build_site()` imports it. Registered hosts are built in
registration order, after the Northwind hosts and before the DNS zone; their records join the zone, and
`manifest["extra_hosts"]` holds their facts (absent when no extra host planted any).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from techscaniq.demo.northwind.builder import SiteBuilder

HostBuilder = Callable[[SiteBuilder], None]

# Modules whose import registers extra hosts, in build order.
HOST_MODULES: tuple[str, ...] = ()

_REGISTRY: dict[str, HostBuilder] = {}


def register_host(name: str) -> Callable[[HostBuilder], HostBuilder]:
    """Register a function that adds one host (or a group of hosts) to every built demo site."""

    def register(build: HostBuilder) -> HostBuilder:
        if name in _REGISTRY and _REGISTRY[name] is not build:
            raise ValueError(f"a demo host named {name!r} is already registered")
        _REGISTRY[name] = build
        return build

    return register


def registered_hosts() -> list[tuple[str, HostBuilder]]:
    """Every registered extra host, after importing the modules of HOST_MODULES."""
    for module in HOST_MODULES:
        importlib.import_module(module)
    return list(_REGISTRY.items())

"""techscaniq: outside-in technology due diligence. `celery -A techscaniq` finds the Celery app here."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Lazy so that importing a submodule (errors, config) does not import Celery. `celery -A techscaniq` asks for
    # this attribute: the worker's app, configured from the environment.
    if name == "celery":
        from techscaniq.worker import worker_app

        return worker_app()
    raise AttributeError(name)

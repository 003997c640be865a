"""techscaniq: outside-in technology due diligence. `celery -A techscaniq` finds the Celery app here."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Lazy so that importing a submodule (errors, config) does not import Celery.
    if name == "celery":
        from techscaniq.celery_app import celery_app

        return celery_app
    raise AttributeError(name)

"""The Celery settings of the environment, as module attributes (`celery --config celeryconfig`, inspection).

techscaniq's own app does not read this module: broker.celery_init_app(settings) configures it from the same
broker.celery_config(settings).
"""

from __future__ import annotations

from techscaniq.broker import celery_config
from techscaniq.config import Settings

globals().update(celery_config(Settings.from_env()))

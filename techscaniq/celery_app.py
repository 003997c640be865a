"""The Celery instance the tasks register on. It holds no settings until broker.celery_init_app(settings) runs: the app
factory calls it for the API's producer, and `celery -A techscaniq` for a worker (techscaniq/worker.py)."""

from __future__ import annotations

from celery import Celery

celery_app = Celery("techscaniq")

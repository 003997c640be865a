"""A Celery worker's start: settings from the environment, JSON logs, and the worker signals (warm-up before the
fork, fresh database pools after it, the reaper thread)."""

from __future__ import annotations

import logging
import sys
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_init, worker_ready, worker_shutdown

from techscaniq.broker import EVIDENCE_QUEUE, celery_init_app
from techscaniq.config import Settings
from techscaniq.evidence.collect import warm_up
from techscaniq.evidence.fingerprints.matcher import FingerprintDataError
from techscaniq.logs import install_celery_logging
from techscaniq.reaper import start_reaper, stop_reaper
from techscaniq.storage.db import dispose_engines

_worker_app: Celery | None = None


def worker_app() -> Celery:
    """The Celery app configured from this process's environment, with worker logging and signals (once)."""
    global _worker_app
    if _worker_app is None:
        settings = Settings.from_env()
        install_celery_logging(settings)
        _worker_app = celery_init_app(settings)
    return _worker_app


@worker_init.connect
def _warm_up(sender: Any = None, **_: Any) -> None:
    # Compiled once in the main process, the fingerprints are shared by every forked pool child.
    consumed = getattr(getattr(sender, "app", worker_app()).amqp.queues, "consume_from", None)
    if not consumed or EVIDENCE_QUEUE in consumed:
        try:
            warm_up()
        except FingerprintDataError as error:
            # Celery logs and swallows a signal handler's exception; a worker with unusable data must not start.
            message = f"techscaniq: fingerprint data unusable, worker not started: {error}"
            logging.getLogger(__name__).critical(message)
            print(message, file=sys.stderr, flush=True)
            raise SystemExit(3) from error


@worker_process_init.connect
def _reset_after_fork(**_: Any) -> None:
    # A forked pool child must not share the parent's database connections.
    dispose_engines()


@worker_ready.connect
def _start_reaper(sender: Any = None, **_: Any) -> None:
    start_reaper(hostname=getattr(sender, "hostname", "worker"))


@worker_shutdown.connect
def _stop_reaper(**_: Any) -> None:
    stop_reaper()

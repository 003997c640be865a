"""The Celery instance: settings from the top-level celeryconfig.py, tasks from techscaniq.tasks."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_init, worker_ready, worker_shutdown

celery_app = Celery("techscaniq")
celery_app.config_from_object("celeryconfig")
celery_app.conf.imports = ("techscaniq.tasks", "techscaniq.workflow.tasks")


def _install_logging() -> None:
    from techscaniq.config import Settings
    from techscaniq.logs import install_celery_logging

    install_celery_logging(Settings.from_env())


_install_logging()


@worker_init.connect
def _warm_up(sender: Any = None, **_: Any) -> None:
    # Compiled once in the main process, the fingerprints are shared by every forked pool child.
    from techscaniq.evidence.collect import warm_up

    consumed = getattr(getattr(sender, "app", celery_app).amqp.queues, "consume_from", None)
    if not consumed or "evidence" in consumed:
        warm_up()


@worker_process_init.connect
def _reset_after_fork(**_: Any) -> None:
    # A forked pool child must not share the parent's database connections.
    from techscaniq.storage.db import dispose_engines

    dispose_engines()


@worker_ready.connect
def _start_reaper(sender: Any = None, **_: Any) -> None:
    from techscaniq.reaper import start_reaper

    start_reaper(hostname=getattr(sender, "hostname", "worker"))


@worker_shutdown.connect
def _stop_reaper(**_: Any) -> None:
    from techscaniq.reaper import stop_reaper

    stop_reaper()

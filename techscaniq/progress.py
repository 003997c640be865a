"""One way to report progress: the durable step row, the live task state and the scan's event log."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from techscaniq.config import Settings
from techscaniq.domain import EventKind, Evidence, StepName
from techscaniq.errors import ScanCancelled, StepLeaseTaken
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope

PROGRESS_WRITE_INTERVAL_SECONDS = 0.25
# The crawl checks in after every page; reading the cancel flag twice a second is prompt enough.
CANCEL_CHECK_INTERVAL_SECONDS = 0.5
# The live feed gets every item of a stored batch up to this many (a batch is a few pages' worth).
EVIDENCE_EVENTS_PER_BATCH = 250

TaskStateCallback = Callable[[dict[str, Any]], None]


class ProgressReporter:
    """Reports a step's progress, checks the cancel flag and keeps the step's lease alive."""

    def __init__(
        self,
        settings: Settings,
        scan_id: str,
        step: StepName,
        *,
        owner: str,
        on_task_state: TaskStateCallback | None = None,
        on_console: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.scan_id = scan_id
        self.step = step
        self.owner = owner
        self._on_task_state = on_task_state
        self._on_console = on_console
        self._progress = 0
        self._items = 0
        self._pages = 0
        self._phase = ""
        self._last_write = 0.0
        self._last_cancel_check = -CANCEL_CHECK_INTERVAL_SECONDS
        self._lease_lost = threading.Event()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    # --- lease heartbeat ---------------------------------------------------------------------------------

    def start_heartbeat(self) -> None:
        """Renew the step lease in the background until stop_heartbeat()."""
        interval = max(1.0, self.settings.step_lease_seconds / 4)

        def beat() -> None:
            while not self._stop.wait(interval):
                try:
                    with session_scope(self.settings) as session:
                        held = repo.renew_lease(
                            session,
                            self.scan_id,
                            self.step,
                            owner=self.owner,
                            lease_seconds=self.settings.step_lease_seconds,
                        )
                except Exception:  # noqa: BLE001 - a database blip must not kill the heartbeat
                    continue
                if not held:
                    self._lease_lost.set()
                    return

        context = contextvars.copy_context()  # the heartbeat's log lines carry the step's scan and task ids
        self._heartbeat = threading.Thread(
            target=context.run, args=(beat,), name=f"lease-{self.scan_id[:8]}", daemon=True
        )
        self._heartbeat.start()

    def stop_heartbeat(self) -> None:
        """Stop renewing the lease."""
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)

    def fence(self, session: Session, *, progress: bool = False) -> None:
        """Open a write of this step: StepLeaseTaken unless this owner still holds the lease (see repo.fence)."""
        try:
            repo.fence(session, self.scan_id, self.step, owner=self.owner, progress=progress)
        except StepLeaseTaken:
            self._lease_lost.set()
            raise

    # --- checkpoints -------------------------------------------------------------------------------------

    def checkpoint(self) -> None:
        """Raise ScanCancelled when cancel was requested, StepLeaseTaken when another copy took over."""
        if self._lease_lost.is_set():
            raise StepLeaseTaken(f"lease of {self.step} for scan {self.scan_id} was taken over")
        now = time.monotonic()
        if now - self._last_cancel_check < CANCEL_CHECK_INTERVAL_SECONDS:
            return
        self._last_cancel_check = now
        with session_scope(self.settings, write=False) as session:
            if repo.cancel_requested(session, self.scan_id):
                raise ScanCancelled(f"scan {self.scan_id} was cancelled")

    # --- reporting ---------------------------------------------------------------------------------------

    @property
    def items_collected(self) -> int:
        """Items stored so far by this step."""
        return self._items

    def update(
        self,
        progress: int,
        *,
        phase: str | None = None,
        items: int | None = None,
        pages: int | None = None,
        force: bool = False,
    ) -> None:
        """Record progress (monotonic), throttled to a few writes a second."""
        self._progress = max(self._progress, min(100, int(progress)))
        if items is not None:
            self._items = items
        if pages is not None:
            self._pages = max(self._pages, pages)
        # A new stage ("crawling" to "site-level checks") is written at once; its sub-steps are throttled.
        phase_changed = phase is not None and _stage(phase) != _stage(self._phase)
        if phase is not None:
            self._phase = phase
        now = time.monotonic()
        if not (force or phase_changed) and now - self._last_write < PROGRESS_WRITE_INTERVAL_SECONDS:
            return
        self._last_write = now
        with session_scope(self.settings) as session:
            self.fence(session)
            repo.update_step_progress(
                session,
                self.scan_id,
                self.step,
                progress=self._progress,
                items_collected=self._items,
                phase=self._phase or None,
                pages_fetched=self._pages,
            )
            repo.append_event(
                session,
                self.scan_id,
                EventKind.PROGRESS,
                self._phase or str(self.step),
                step=self.step,
                progress=self._progress,
                data={"itemsCollected": self._items, "pagesFetched": self._pages, "phase": self._phase},
            )
        self._publish()

    def finished(self, *, items: int) -> None:
        """Publish 100% to the live state once the step's completion has committed (the row already says so)."""
        self._progress, self._items = 100, items
        self._publish()

    def evidence_added(self, session: Session, items: Sequence[Evidence], total: int) -> None:
        """Log newly stored evidence to the event feed and count it, in the transaction that stored it (fenced)."""
        self._items = total
        if not items:
            return
        entries = [
            (
                item.title,
                {"id": item.id, "type": item.type, "category": item.category, "source": item.source_url},
            )
            for item in items[:EVIDENCE_EVENTS_PER_BATCH]
        ]
        repo.append_events(session, self.scan_id, EventKind.EVIDENCE, entries, step=self.step)

    def print_evidence(self, items: Sequence[Evidence]) -> None:
        """Show stored items on the console (the CLI's live feed), once their transaction has committed."""
        if self._on_console:
            for item in items:
                self._on_console(f"  + [{item.category}] {item.title}")

    def warning(self, message: str, data: dict[str, Any] | None = None) -> None:
        """Record a warning that does not stop the step."""
        with session_scope(self.settings) as session:
            self.fence(session)
            repo.append_event(session, self.scan_id, EventKind.WARNING, message, step=self.step, data=data)
        if self._on_console:
            self._on_console(f"  ! {message}")

    def _publish(self) -> None:
        state = {
            "progress": self._progress,
            "itemsCollected": self._items,
            "pagesFetched": self._pages,
            "phase": self._phase,
        }
        if self._on_task_state:
            self._on_task_state(state)
        if self._on_console:
            self._on_console(f"[{self.step}] {self._progress:3d}% {self._phase} ({self._items} items)")


def _stage(phase: str | None) -> str:
    """The stage a phase belongs to: "site-level checks: tls" is in "site-level checks"."""
    return (phase or "").split(":", 1)[0]

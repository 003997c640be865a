"""The claim, retry and reap decisions as pure functions, table by table."""

from __future__ import annotations

import pytest

from techscaniq.domain import StepStatus
from techscaniq.pipeline import StepOutcome, claim_verdict
from techscaniq.reaper import expired_lease_action, lost_message_action
from techscaniq.tasks import RetryAction, retry_action

W, A, C, F, S = (
    StepStatus.WAITING,
    StepStatus.ACTIVE,
    StepStatus.COMPLETED,
    StepStatus.FAILED,
    StepStatus.SKIPPED,
)


@pytest.mark.parametrize(
    ("scan_final", "status", "earlier_done", "step_task", "task", "live", "expected"),
    [
        (False, W, True, "t1", "t1", False, None),  # first delivery: claim
        (False, A, True, "t1", "t1", False, None),  # handed back or expired: claim
        (False, A, True, "t1", "t1", True, StepOutcome.HELD_ELSEWHERE),  # a copy while the first runs
        (False, A, True, "t1", None, True, StepOutcome.HELD_ELSEWHERE),  # the CLI never takes over either
        (False, W, True, "t1.r1", "t1", False, StepOutcome.STALE),  # the reaper replaced this message
        (False, A, True, "t1.q1", "t1", True, StepOutcome.STALE),
        (False, C, True, "t1", "t1", False, StepOutcome.ALREADY_DONE),  # redelivered after finishing
        (True, C, True, "t1", "t1", False, StepOutcome.ALREADY_DONE),
        (True, W, True, "t1", "t1", False, StepOutcome.NOT_RUNNABLE),  # scan failed or cancelled
        (False, F, True, "t1", "t1", False, StepOutcome.NOT_RUNNABLE),
        (False, S, True, "t1", "t1", False, StepOutcome.NOT_RUNNABLE),
        (False, W, False, "t1", "t1", False, StepOutcome.NOT_RUNNABLE),  # the step before has not completed
    ],
)
def test_claim_verdict(
    scan_final: bool,
    status: StepStatus,
    earlier_done: bool,
    step_task: str,
    task: str | None,
    live: bool,
    expected: StepOutcome | None,
) -> None:
    verdict = claim_verdict(
        scan_final=scan_final,
        step_status=status,
        earlier_completed=earlier_done,
        step_task_id=step_task,
        task_id=task,
        lease_live=live,
    )
    assert verdict == expected


@pytest.mark.parametrize(
    ("infrastructure", "retryable", "retries", "max_retries", "elapsed", "budget", "expected"),
    [
        (True, True, 0, 2, 10, 2700, RetryAction.RETRY),
        (
            True,
            True,
            50,
            2,
            2000,
            2700,
            RetryAction.RETRY,
        ),  # infrastructure: the time budget decides, not a count
        (True, True, 3, 2, 2700, 2700, RetryAction.LEAVE_TO_REAPER),  # never fails the scan for good
        (False, True, 0, 2, 10, 2700, RetryAction.RETRY),
        (False, True, 2, 2, 10, 2700, RetryAction.FAIL),
        (False, False, 0, 2, 10, 2700, RetryAction.FAIL),
    ],
)
def test_retry_action(
    infrastructure: bool,
    retryable: bool,
    retries: int,
    max_retries: int,
    elapsed: float,
    budget: float,
    expected: RetryAction,
) -> None:
    action = retry_action(
        infrastructure=infrastructure,
        retryable=retryable,
        retries=retries,
        max_retries=max_retries,
        elapsed=elapsed,
        budget=budget,
    )
    assert action == expected


@pytest.mark.parametrize(
    ("deliveries", "limit", "expected"),
    [(0, 3, "redispatch"), (1, 3, "redispatch"), (2, 3, "redispatch"), (3, 3, "poison"), (4, 3, "poison")],
)
def test_expired_lease_action(deliveries: int, limit: int, expected: str) -> None:
    assert expired_lease_action(deliveries, limit) == expected


@pytest.mark.parametrize(
    ("in_broker", "sends", "limit", "expected"),
    [
        (True, 1, 3, "wait"),
        (True, 9, 3, "wait"),
        (False, 1, 3, "resend"),
        (False, 2, 3, "resend"),
        (False, 3, 3, "lost"),
    ],
)
def test_lost_message_action(in_broker: bool, sends: int, limit: int, expected: str) -> None:
    assert lost_message_action(in_broker=in_broker, sends=sends, max_sends=limit) == expected

"""SLA clocks (服务时限), one module per job:

- ``policies``: which policy a request gets, its targets, the calendar spec its clocks run in;
- ``clock``: working-time arithmetic (``WorkingTime``, ``EpochClock``);
- ``deadlines``: the reference: every target's deadline recomputed from the request's SLA event log;
- ``fastpath``: the periodic task's batch over the open requests, and its integer fast path (kept equal to
  the reference by its parity tests, named there).

Code in the repository imports from the module itself; the names below are re-exported for callers that
import from ``serviceloop.service.sla``. (Here ``deadlines`` is the function: the module is
``serviceloop.service.sla.deadlines`` in a ``from ... import``.)
"""

from serviceloop.core.calendar_cache import ROUND_THE_CLOCK

from .clock import ZERO, EpochClock, WorkingTime, epoch_us, from_epoch_us, working_time
from .deadlines import Deadline, deadlines, deadlines_for, running_intervals, summary
from .fastpath import (
    DEFERRED_TEXTS,
    AtRisk,
    LogEntry,
    OpenRequestRow,
    OpenVerdict,
    evaluate_open_requests,
    evaluate_open_rows,
    fast_verdict,
    verdict_of,
)
from .policies import (
    FALLBACK_TARGETS,
    MATCHERS,
    MINUTE,
    SpecCache,
    match_policy,
    spec_for_request,
    targets_of,
)

__all__ = [
    "DEFERRED_TEXTS",
    "FALLBACK_TARGETS",
    "MATCHERS",
    "MINUTE",
    "ROUND_THE_CLOCK",
    "ZERO",
    "AtRisk",
    "Deadline",
    "EpochClock",
    "LogEntry",
    "OpenRequestRow",
    "OpenVerdict",
    "SpecCache",
    "WorkingTime",
    "deadlines",
    "deadlines_for",
    "epoch_us",
    "evaluate_open_requests",
    "evaluate_open_rows",
    "fast_verdict",
    "from_epoch_us",
    "match_policy",
    "running_intervals",
    "spec_for_request",
    "summary",
    "targets_of",
    "verdict_of",
    "working_time",
]

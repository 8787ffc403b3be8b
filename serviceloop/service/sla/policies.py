"""SLA policies: which policy a request gets (``match_policy``, over the active policies cached per
process), its targets (``targets_of``, built-in ``FALLBACK_TARGETS`` without one) and the calendar spec a
request's clocks run in (``SpecCache``, ``spec_for_request``)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from serviceloop.assets.choices import SlaLevel
from serviceloop.core.calendar_cache import ROUND_THE_CLOCK, spec_for_calendar
from serviceloop.core.stamps import StampedCache
from serviceloop.core.workcalendar import CalendarSpec

from ..choices import SlaTarget
from ..models import ServiceRequest, SlaPolicy

MINUTE = timedelta(minutes=1)

# Used when no policy matches and no default policy exists (seed 003 §5.2.1: contact within
# 1 hour of dispatch; seed 001 §4.6: plan decided within 3 working days of 8 hours).
FALLBACK_TARGETS: dict[str, timedelta] = {
    SlaTarget.FIRST_RESPONSE: 120 * MINUTE,
    SlaTarget.ENGINEER_CONTACT: 60 * MINUTE,
    SlaTarget.PLAN_DECIDED: 3 * 8 * 60 * MINUTE,
    SlaTarget.ONSITE_ARRIVAL: 3 * 8 * 60 * MINUTE,
    SlaTarget.RESOLUTION: 10 * 8 * 60 * MINUTE,
}
MATCHERS = ("request_type", "severity", "customer_level", "contract_sla_level")


def _active_policies(_key: None) -> list[SlaPolicy]:
    return list(SlaPolicy.objects.filter(active=True))


# the active policies per process during HTTP requests (reloaded after any change: core/stamps.py)
_ACTIVE_POLICIES = StampedCache(_active_policies)


def match_policy(
    *, request_type: str, severity: str, customer_level: str = "", contract_sla_level: str = "",
    policies: Iterable[SlaPolicy] | None = None,
) -> SlaPolicy | None:
    """The active policy whose matchers all fit, the most specific first (most matchers set);
    ties go to a non-default policy, then by name. No match: the default policy. None: built-in targets.
    Without ``policies``: the active ones, and the caller gets its own copy of the one found."""
    if policies is None:
        found = match_policy(request_type=request_type, severity=severity, customer_level=customer_level,
                             contract_sla_level=contract_sla_level, policies=_ACTIVE_POLICIES.get())
        return copy.copy(found) if found is not None else None  # not the instance the cache shares
    pool = list(policies)
    wanted = {
        "request_type": request_type, "severity": severity,
        "customer_level": customer_level, "contract_sla_level": contract_sla_level,
    }
    candidates = []
    for policy in pool:
        if not policy.active:
            continue
        values = {name: getattr(policy, name) for name in MATCHERS}
        if all(not value or value == wanted[name] for name, value in values.items()):
            specificity = sum(1 for value in values.values() if value)
            candidates.append((-specificity, policy.is_default, policy.name, policy))
    if candidates:
        return min(candidates, key=lambda c: c[:3])[3]
    return next((p for p in pool if p.is_default and p.active), None)


def targets_of(policy: SlaPolicy | None) -> dict[str, timedelta]:
    if policy is None:
        return dict(FALLBACK_TARGETS)
    return {target: getattr(policy, f"{target}_minutes") * MINUTE for target in SlaTarget.values}


class SpecCache:
    """Calendar specs for many requests: one spec object per calendar for the caller's whole run (the
    integer clocks are kept per spec object). Each is built by ``core.calendar_cache`` (kept in memory
    per process during HTTP requests)."""

    def __init__(self) -> None:
        self._specs: dict[Any, CalendarSpec] = {}

    def for_calendar(self, calendar_id: int | None) -> CalendarSpec:
        spec = self._specs.get(calendar_id)
        if spec is None:
            spec = self._specs[calendar_id] = spec_for_calendar(calendar_id)
        return spec

    def for_request(self, service_request: ServiceRequest) -> CalendarSpec:
        if service_request.contract_id and service_request.contract.sla_level == SlaLevel.ROUND_THE_CLOCK:
            return ROUND_THE_CLOCK
        policy = service_request.sla_policy
        return self.for_calendar(policy.calendar_id if policy else None)

    def for_parts(self, contract_sla_level: str | None, policy: SlaPolicy | None) -> CalendarSpec:
        """``for_request`` from the contract's SLA level (None: no contract) and the policy."""
        if contract_sla_level == SlaLevel.ROUND_THE_CLOCK:
            return ROUND_THE_CLOCK
        return self.for_calendar(policy.calendar_id if policy else None)


def spec_for_request(service_request: ServiceRequest) -> CalendarSpec:
    return SpecCache().for_request(service_request)

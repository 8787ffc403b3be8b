"""Priority from severity x customer level x contract (SPEC §2, seed 004 §3.1 tiered response).

The table: severity sets the base, then each of these raises the priority by one step
(never above P1):
- the customer is a key account (level A);
- a service contract with a priority or 24/7 SLA covers the unit.

| severity | base | key account | priority/24x7 contract | both |
|----------|------|-------------|------------------------|------|
| major    | P1   | P1          | P1                     | P1   |
| severe   | P2   | P1          | P1                     | P1   |
| general  | P3   | P2          | P2                     | P1   |
| minor    | P4   | P3          | P3                     | P2   |
"""

from __future__ import annotations

from serviceloop.assets.choices import SlaLevel
from serviceloop.customers.choices import CustomerLevel

from .choices import Priority, Severity

SEVERITY_BASE = {Severity.MAJOR: 1, Severity.SEVERE: 2, Severity.GENERAL: 3, Severity.MINOR: 4}
RAISING_SLA_LEVELS = {SlaLevel.PRIORITY, SlaLevel.ROUND_THE_CLOCK}


def priority_for(severity: str, customer_level: str = "", contract_sla_level: str = "") -> Priority:
    rank = SEVERITY_BASE[Severity(severity)]
    if customer_level == CustomerLevel.KEY:
        rank -= 1
    if contract_sla_level in RAISING_SLA_LEVELS:
        rank -= 1
    return Priority(f"P{max(rank, 1)}")

"""What apps plug into each other's pages and events, filled in their ``AppConfig.ready()``.

Core and the earlier apps never import a later app (nor name one in a string): a page shows the
panels registered for its slot, a timeline shows the verbs' registered labels, an escalation calls
the registered hooks. Who fills what (see each app's ``apps.py``):

==================  ===========================================  ==================================
slot / key          what                                          filled by
==================  ===========================================  ==================================
``UNIT_FILE``       panels of the unit's service file (assets      service (requests), workorders
                    unit page and its PDF)                         (work orders, service reports),
                                                                   parts (parts fitted)
``WORK_ORDER_PAGE`` panels of the work order page                  parts (parts fitted, requisitions)
``SERVICE_REPORT_PDF`` print panels of the service report PDF      parts (parts fitted, from the ledger)
``CUSTOMER_PAGE``   panels of the customer page                    assets (units, contracts, orders)
``REQUEST_PAGE``    panels of the service request page             workorders (work orders),
                                                                   feedback (follow-ups)
``SALES_ORDER_PAGE`` panels of the sales order page                 workorders (the fees it bills)
verbs               timeline verbs -> words (``add_verbs``)        core, service, workorders, feedback,
                                                                   parts
escalation hooks    called with each new SLA escalation, in its    feedback (notifications)
                    transaction (``on_escalation``)
imports             Excel import specs (``add_import``)            customers, assets, parts
==================  ===========================================  ==================================

Registration is idempotent (the same panel, hook or import registered twice counts once), so a
test may call an app's ``ready()`` again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- panels

UNIT_FILE = "unit_file"
CUSTOMER_PAGE = "customer_page"
REQUEST_PAGE = "request_page"
WORK_ORDER_PAGE = "work_order_page"
SERVICE_REPORT_PDF = "service_report_pdf"  # print panels of the service report PDF (load gets user=None)
SALES_ORDER_PAGE = "sales_order_page"


@dataclass(frozen=True)
class Panel:
    """One panel of a page: ``load(user, obj)`` gives what it shows, under ``name`` in the page's context;
    the page includes ``template`` (and its PDF ``print_template``, when it has one) for each panel in order."""

    slot: str
    name: str
    load: Callable[[Any, Any], Any]
    template: str = ""
    print_template: str = ""
    order: int = 100


_PANELS: dict[str, dict[str, Panel]] = {}


def add_panel(slot: str, name: str, load: Callable[[Any, Any], Any], *, template: str = "",
              print_template: str = "", order: int = 100) -> Panel:
    """Register (or replace) the panel ``name`` of the page ``slot``."""
    panel = Panel(slot=slot, name=name, load=load, template=template, print_template=print_template, order=order)
    _PANELS.setdefault(slot, {})[name] = panel
    return panel


def panels(slot: str) -> list[Panel]:
    """The panels of a page, in their order (then in the order they were registered)."""
    found = list(_PANELS.get(slot, {}).values())
    return sorted(found, key=lambda p: p.order)


def has_panel(slot: str, name: str) -> bool:
    return name in _PANELS.get(slot, {})


def panel_context(slot: str, user: Any, obj: Any) -> dict[str, Any]:
    """The page's context from its panels: each panel's rows under its name, and ``panels`` (the list)."""
    found = panels(slot)
    context: dict[str, Any] = {panel.name: panel.load(user, obj) for panel in found}
    context["panels"] = found
    return context


# ---------------------------------------------------------------- timeline verbs

_VERBS: dict[str, Any] = {}


def add_verbs(labels: Mapping[str, Any]) -> None:
    """Words for an app's timeline verbs; a verb already registered keeps its first label."""
    for verb, label in labels.items():
        _VERBS.setdefault(verb, label)


def verb_label(verb: str) -> str:
    """What a verb says to a person; a verb nobody registered is shown as it is."""
    return str(_VERBS.get(verb, verb))


def verbs() -> dict[str, Any]:
    return dict(_VERBS)


# ---------------------------------------------------------------- escalation hooks

EscalationHook = Callable[[Any], None]
_ESCALATION_HOOKS: list[tuple[EscalationHook, bool]] = []  # (hook, takes the whole batch)


def on_escalation(hook: EscalationHook, *, batch: bool = False) -> EscalationHook:
    """Call ``hook(escalation)`` with each new SLA escalation — or, with ``batch=True``,
    ``hook(escalations)`` once with all the escalations one run records together (a backlog of
    thousands: one notification per recipient instead of one per escalation) — inside the escalations'
    transaction (what the hook writes, e.g. notifications and their outbox rows, commits with them or
    not at all); usable as a decorator."""
    if all(known != hook for known, _batch in _ESCALATION_HOOKS):  # == : bound methods are new objects
        _ESCALATION_HOOKS.append((hook, batch))
    return hook


def remove_escalation_hook(hook: EscalationHook) -> None:
    _ESCALATION_HOOKS[:] = [(known, batch) for known, batch in _ESCALATION_HOOKS if known != hook]


def escalation_hooks() -> list[EscalationHook]:
    return [hook for hook, _batch in _ESCALATION_HOOKS]


def run_escalation_hooks(escalations: Any) -> None:
    """The hooks for one escalation or a list of them, in order. Each call in its own savepoint: a hook
    that fails is rolled back and logged, the escalations and the other hooks stay."""
    from django.db import transaction

    batch_of = list(escalations) if isinstance(escalations, list | tuple) else [escalations]
    if not batch_of:
        return
    for hook, batch in list(_ESCALATION_HOOKS):
        for argument in ([batch_of] if batch else batch_of):
            try:
                with transaction.atomic():
                    hook(argument)
            except Exception:
                log.exception("escalations %s: hook %s failed", [getattr(e, "pk", None) for e in batch_of][:10], hook)


# ---------------------------------------------------------------- Excel imports

_IMPORTS: dict[str, Callable[[], Any]] = {}


def add_import(name: str, spec: Callable[[], Any]) -> None:
    """An Excel import (core/imports.py ``ImportSpec`` subclass) served at /imports/<name with dashes>/."""
    _IMPORTS[name] = spec


def import_spec(name: str) -> Any | None:
    """A new spec of the import ``name``, or None when no app registered one."""
    spec = _IMPORTS.get(name)
    return spec() if spec is not None else None


def import_names() -> Iterable[str]:
    return list(_IMPORTS)

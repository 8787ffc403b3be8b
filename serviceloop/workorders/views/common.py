"""What the work order pages share: the work order queryset with its relations, the refusal (403 with an
audit row), the service call (_act) and its messages next to the form (_merge), the page a form goes
back to (_back_url, _source: the engineer's phone view or the work order page), the staff's list view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from serviceloop.core.access import audit_denial, require_model_perm
from serviceloop.core.concurrency import StaleEditError
from serviceloop.core.generic import GatedListView
from serviceloop.core.scoping import is_customer

from .. import selectors, services
from ..choices import WorkOrderStatus
from ..models import WorkOrder

S = WorkOrderStatus
PERM_CHANGE = services.PERM_CHANGE
PERM_DISPATCH = services.PERM_DISPATCH
PERM_APPROVE = services.PERM_APPROVE
PERM_CLOSE = services.PERM_CLOSE
PERM_PLAN = services.PERM_PLAN
PERM_APPROVE_HELP = "workorders.approve_helprequest"

MAJOR = "major"

WO_QS_RELATED = (*selectors.WO_RELATED, "customer__branch", "dispatched_by", "approved_by", "billing_sales_order",
                 "escalation_planned_by")


def _wo_queryset() -> QuerySet[WorkOrder]:
    return WorkOrder.objects.select_related(*WO_QS_RELATED)


# ---------------------------------------------------------------- helpers

def _refuse(request: HttpRequest, target: str, message: str | None = None) -> PermissionDenied:
    audit_denial(request, action="change", target=target, outcome="forbidden")
    return PermissionDenied(message or _("Your role does not allow this."))


def _no_customers(request: HttpRequest, target: str) -> None:
    if is_customer(request.user):
        raise _refuse(request, target)


def _act(request: HttpRequest, call: Callable[[], Any]) -> Any:
    """Run a service; its refusal by role or assignment is a 403 with an audit row."""
    try:
        return call()
    except PermissionDenied:
        audit_denial(request, action="change", target=request.path[:200], outcome="forbidden")
        raise


def _merge(form: Any, exc: ValidationError) -> None:
    """The service's messages next to their fields (or above the form), the typed input kept."""
    if isinstance(exc, StaleEditError):
        form.add_error(None, exc.messages[0])
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _search_text(request: HttpRequest) -> str:
    return "".join(ch for ch in (request.GET.get("q") or "") if ch.isprintable()).strip()[:100]


def _detail_url(wo: WorkOrder) -> str:
    return reverse("workorders:detail", args=[wo.pk])


def _job_url(wo: WorkOrder) -> str:
    return reverse("workorders:job", args=[wo.pk])


def _back_url(request: HttpRequest, wo: WorkOrder) -> str:
    """Back to the page the form was on: the engineer's phone view or the work order page."""
    source = request.POST.get("next") if request.method == "POST" else request.GET.get("next")
    return _job_url(wo) if source == "job" else _detail_url(wo)


def _source(request: HttpRequest) -> str:
    source = request.POST.get("next") if request.method == "POST" else request.GET.get("next")
    return "job" if source == "job" else ""


def _require_staff_list(request: HttpRequest, model: type, target: str) -> None:
    require_model_perm(request, model, "view")
    if is_customer(request.user):
        audit_denial(request, action="view", target=target, outcome="forbidden")
        raise PermissionDenied(_("Your role does not allow this."))


class StaffListView(GatedListView):
    """A list page of the staff (search, filters, sort, pages, Excel, the HTMX table fragment): customers
    get a 403 with an audit row, as on every work order list."""

    audit_target: str = ""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _require_staff_list(request, self.model, self.audit_target)
        return super().get(request, *args, **kwargs)

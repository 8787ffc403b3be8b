"""Web pages of a chargeable work order's fees: add a line, remove one, the fee statement (费用结算单) PDF.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from serviceloop.core.access import get_for_user, require_model_perm
from serviceloop.core.pdf import pdf_bytes_response

from .. import documents, forms, services
from ..models import FeeLine, WorkOrder
from .common import _act, _detail_url, _merge, _no_customers, _wo_queryset


@login_required
def fee_statement(request: HttpRequest, pk: int) -> HttpResponse:
    """费用结算单 (fee statement) as PDF."""
    wo = get_for_user(request, WorkOrder, "view", pk=pk)
    require_model_perm(request, FeeLine, "view")
    return pdf_bytes_response(documents.fee_statement_pdf(wo), f"{wo.number}-fees.pdf")


# ---------------------------------------------------------------- fees

@login_required
def fee_add(request: HttpRequest, pk: int) -> HttpResponse:
    wo = get_for_user(request, WorkOrder, "view", pk=pk, queryset=_wo_queryset())
    _no_customers(request, f"workorders.WorkOrder:{wo.pk}")
    require_model_perm(request, FeeLine, "add")
    form = forms.FeeLineForm(request.POST or None, instance=FeeLine(work_order=wo))
    if request.method == "POST" and form.is_valid():
        try:
            line = _act(request, lambda: services.fee_line_save(user=request.user, instance=form.instance))
        except ValidationError as exc:
            form.instance.pk = None
            form.instance._state.adding = True
            _merge(form, exc)
        else:
            messages.success(request, _("Fee added: %(fee)s, %(amount)s CNY.") % {"fee": line, "amount": line.amount})
            return redirect(_detail_url(wo) + "#fees")
    return render(request, "workorders/step.html", {
        "object": wo, "form": form, "title": _("Add fee"), "back_url": _detail_url(wo) + "#fees",
    }, status=400 if form.is_bound else 200)


@login_required
def fee_delete(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    wo = get_for_user(request, WorkOrder, "view", pk=pk, queryset=_wo_queryset())
    _no_customers(request, f"workorders.WorkOrder:{wo.pk}")
    line = get_for_user(request, FeeLine, "delete", pk=line_pk, work_order=wo)
    form = forms.EmptyForm(request.POST or None)
    if request.method == "POST":
        try:
            _act(request, lambda: services.fee_line_delete(actor=request.user, fee_line=line))
        except ValidationError as exc:
            _merge(form, exc)
        else:
            messages.success(request, _("Fee removed: %(fee)s.") % {"fee": line})
            return redirect(_detail_url(wo) + "#fees")
    title = _("Remove fee “%(fee)s” (%(amount)s CNY)?") % {"fee": line, "amount": line.amount}
    return render(request, "workorders/step.html", {
        "object": wo, "form": form, "title": title, "back_url": _detail_url(wo) + "#fees", "danger": True,
    }, status=400 if form.is_bound else 200)

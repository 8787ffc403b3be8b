"""Follow-up queue and forms (desk phone call, customer portal rating), service complaints."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from serviceloop.core.access import audit_denial, get_for_user, require_model_perm
from serviceloop.core.concurrency import StaleEditError
from serviceloop.core.generic import GatedDetailView, GatedListView
from serviceloop.core.listing import Column, ListSpec
from serviceloop.core.pdf import pdf_bytes_response
from serviceloop.core.scoping import is_customer
from serviceloop.service.models import ServiceRequest
from serviceloop.service.steps import REQUEST_STEPS

from . import documents, selectors, services
from .filters import ComplaintFilter
from .forms import ComplaintHandleForm, FollowUpForm
from .models import FollowUp, ServiceComplaint
from .steps import COMPLAINT_STEPS


def _days_waiting(service_request: ServiceRequest) -> int | None:
    return (timezone.now() - service_request.resolved_at).days if service_request.resolved_at else None


QUEUE_LIST = ListSpec(
    columns=[
        Column("number", gettext_lazy("request number"), lambda r: r.number, sort="number"),
        Column("customer", gettext_lazy("customer"), lambda r: r.customer.name, sort="customer__name"),
        Column("title", gettext_lazy("title"), lambda r: r.title),
        Column("contact", gettext_lazy("contact"), lambda r: " ".join(p for p in (r.contact_name, r.contact_phone) if p)),
        Column("resolved_at", gettext_lazy("resolved at"), lambda r: r.resolved_at, sort="resolved_at"),
        Column("waiting", gettext_lazy("days waiting"), _days_waiting),
    ],
    default_sort="resolved_at",
    search=selectors.awaiting_search,
)


class FollowUpQueueView(GatedListView):
    """Resolved requests waiting for their follow-up, the longest waiting first (the desk's call list;
    for a customer, their requests waiting for a rating)."""

    model = FollowUp
    spec = QUEUE_LIST
    title = gettext_lazy("Follow-up queue")
    template_name = "feedback/queue.html"
    export_name = "follow-up-queue"

    search_hint = gettext_lazy("Request number, customer, contact")

    def get_queryset(self):
        return selectors.awaiting_follow_up(self.request.user)

    def get_title(self) -> Any:
        return _("Waiting for your rating") if is_customer(self.request.user) else self.title

    def extra_context(self) -> dict[str, Any]:
        if not self.request.user.has_perm("feedback.add_followup"):
            return {}
        if is_customer(self.request.user):
            return {"action_url_name": "feedback:rate", "action_label": _("Rate")}
        return {"action_url_name": "feedback:follow_up", "action_label": _("Follow up")}


class _FollowUpFormView(LoginRequiredMixin, View):
    """One follow-up of one request. Invisible request -> 404; no permission -> 403."""

    portal = False
    template_name = ""
    other_url_name = ""

    def gate(self, request: HttpRequest, pk: int) -> ServiceRequest | HttpResponse:
        service_request = get_for_user(
            request, ServiceRequest, "view",
            queryset=ServiceRequest.objects.select_related("customer", "unit", "unit__product_model", "site"), pk=pk,
        )
        if is_customer(request.user) != self.portal:  # customers rate; the desk records calls
            return redirect(self.other_url_name, pk=service_request.pk)
        require_model_perm(request, FollowUp, "add")
        return service_request

    def render_form(self, request: HttpRequest, service_request: ServiceRequest, form: FollowUpForm,
                    status: int = 200) -> HttpResponse:
        context = {
            "object": service_request,
            "form": form,
            "blocker": services.follow_up_blocker(service_request),
            "follow_ups": selectors.follow_ups_of(request.user, service_request)[:10],
            "days_waiting": _days_waiting(service_request),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        service_request = self.gate(request, pk)
        if isinstance(service_request, HttpResponse):
            return service_request
        return self.render_form(request, service_request, FollowUpForm(portal=self.portal))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        service_request = self.gate(request, pk)
        if isinstance(service_request, HttpResponse):
            return service_request
        form = FollowUpForm(request.POST, portal=self.portal)
        if form.is_valid():
            try:
                follow_up = REQUEST_STEPS.run("rate" if self.portal else "follow_up", request.user, service_request,
                                              form.service_kwargs())
            except ValidationError as exc:
                _merge_errors(form, exc)
            else:
                messages.success(request, self.success_message(follow_up))
                return redirect(self.success_url())
        service_request.refresh_from_db()
        return self.render_form(request, service_request, form, status=400)

    def success_message(self, follow_up: FollowUp) -> str:
        return follow_up.get_outcome_display()

    def success_url(self) -> str:
        return reverse("feedback:queue")


class FollowUpCallView(_FollowUpFormView):
    """The desk's follow-up call (回访): the call script, then the customer's answers."""

    portal = False
    template_name = "feedback/follow_up_form.html"
    other_url_name = "feedback:rate"

    def success_message(self, follow_up: FollowUp) -> str:
        return _("Follow-up of %(number)s recorded: %(outcome)s.") % {
            "number": follow_up.service_request.number, "outcome": follow_up.get_outcome_display()}


class RateView(_FollowUpFormView):
    """The customer's own rating in the portal (works on a phone)."""

    portal = True
    template_name = "feedback/rate.html"
    other_url_name = "feedback:follow_up"

    def success_message(self, follow_up: FollowUp) -> str:
        return _("Thank you for your rating.")

    def success_url(self) -> str:
        return reverse("home")


def _merge_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# ---------------------------------------------------------------- service complaints

COMPLAINT_LIST = ListSpec(
    columns=[
        Column("number", gettext_lazy("complaint number"), lambda c: c.number, sort="number"),
        Column("request", gettext_lazy("request number"), lambda c: c.service_request.number, sort="service_request__number"),
        Column("customer", gettext_lazy("customer"), lambda c: c.service_request.customer.name, sort="service_request__customer__name"),
        Column("status", gettext_lazy("status"), lambda c: c.get_status_display(), sort="status"),
        Column("created_at", gettext_lazy("registered at"), lambda c: c.created_at, sort="created_at"),
        Column("due_at", gettext_lazy("analysis due"), lambda c: c.due_at, sort="due_at"),
        Column("description", gettext_lazy("description"), lambda c: c.description[:80]),
    ],
    default_sort="-created_at",
    search=selectors.complaint_search,
    filterset_class=ComplaintFilter,
)


class ComplaintListView(GatedListView):
    model = ServiceComplaint
    spec = COMPLAINT_LIST
    title = gettext_lazy("Service complaints")
    export_name = "service-complaints"

    def get_queryset(self):
        return selectors.complaints_visible_to(self.request.user)


class ComplaintDetailView(GatedDetailView):
    model = ServiceComplaint
    template_name = "feedback/complaint_detail.html"

    def base_queryset(self):
        return ServiceComplaint.objects.select_related(
            "service_request", "service_request__customer", "follow_up", "follow_up__called_by", "handled_by")

    def get_context(self, obj: ServiceComplaint) -> dict[str, Any]:
        return {"steps": COMPLAINT_STEPS.buttons(self.request.user, obj)}


class ComplaintHandleView(LoginRequiredMixin, View):
    template_name = "feedback/complaint_handle.html"

    def _complaint(self, request: HttpRequest, pk: int) -> ServiceComplaint:
        return get_for_user(request, ServiceComplaint, "change",
                            queryset=ServiceComplaint.objects.select_related("service_request", "service_request__customer"), pk=pk)

    def _refuse_role(self, complaint: ServiceComplaint) -> None:
        found = COMPLAINT_STEPS.blocked("handle", self.request.user, complaint)
        if found is not None and found.forbidden:
            raise PermissionDenied(found.reason)

    def _render(self, request: HttpRequest, complaint: ServiceComplaint, form: ComplaintHandleForm,
                status: int = 200) -> HttpResponse:
        can_handle = COMPLAINT_STEPS.blocked("handle", request.user, complaint) is None
        return render(request, self.template_name, {"object": complaint, "form": form, "can_handle": can_handle},
                      status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        complaint = self._complaint(request, pk)
        self._refuse_role(complaint)
        return self._render(request, complaint, ComplaintHandleForm(initial={"version": complaint.version}))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        complaint = self._complaint(request, pk)
        form = ComplaintHandleForm(request.POST)
        if form.is_valid():
            try:
                COMPLAINT_STEPS.run("handle", request.user, complaint, form.cleaned_data)
            except ValidationError as exc:
                if isinstance(exc, StaleEditError):
                    form.add_error(None, exc.messages[0])
                else:
                    _merge_errors(form, exc)
            else:
                messages.success(request, _("Complaint %(number)s handled.") % {"number": complaint.number})
                return redirect(complaint.get_absolute_url())
        complaint.refresh_from_db()
        return self._render(request, complaint, form, status=400)


# ---------------------------------------------------------------- print-outs (staff only)

def _staff_only(request: HttpRequest, target: str) -> None:
    if is_customer(request.user):
        audit_denial(request, action="view", target=target, outcome="forbidden")
        raise PermissionDenied(_("Your role does not allow this."))


@login_required
def follow_up_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """回访记录 as PDF."""
    follow_up = get_for_user(request, FollowUp, "view", pk=pk,
                             queryset=FollowUp.objects.select_related("service_request", "called_by"))
    _staff_only(request, f"feedback.FollowUp:{follow_up.pk}")
    return pdf_bytes_response(documents.follow_up_pdf(follow_up),
                              f"{follow_up.service_request.number}-follow-up-{follow_up.pk}.pdf")


@login_required
def complaint_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """服务投诉处理单 as PDF."""
    complaint = get_for_user(request, ServiceComplaint, "view", pk=pk, queryset=ServiceComplaint.objects.select_related(
        "service_request", "follow_up", "handled_by"))
    _staff_only(request, f"feedback.ServiceComplaint:{complaint.pk}")
    return pdf_bytes_response(documents.complaint_pdf(complaint), f"{complaint.number}.pdf")

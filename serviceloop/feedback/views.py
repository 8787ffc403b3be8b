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
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views import View

from serviceloop.core.access import audit_denial, get_for_user, require_model_perm
from serviceloop.core.generic import GatedDetailView, GatedListView
from serviceloop.core.listing import Column, ListSpec
from serviceloop.core.pdf import pdf_bytes_response
from serviceloop.core.scoping import is_customer
from serviceloop.core.steps import StepView
from serviceloop.service.models import ServiceRequest
from serviceloop.service.steps import REQUEST_STEPS

from . import documents, selectors, services
from .choices import ComplaintStatus
from .filters import ComplaintFilter
from .forms import ComplaintRegisterForm, FollowUpForm
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

def _due_cell(c: ServiceComplaint) -> str:
    if c.due_at is None:
        return ""
    text = timezone.localtime(c.due_at).strftime("%Y-%m-%d %H:%M")
    if c.status == ComplaintStatus.ANALYSING and c.due_at < timezone.now():
        return _("%(due)s · overdue") % {"due": text}
    return text


COMPLAINT_LIST = ListSpec(
    columns=[
        Column("number", gettext_lazy("complaint number"), lambda c: c.number, sort="number"),
        Column("customer", gettext_lazy("customer"), lambda c: c.customer.name, sort="customer__name"),
        Column("request", gettext_lazy("request number"),
               lambda c: c.service_request.number if c.service_request_id else "", sort="service_request__number"),
        Column("category", pgettext_lazy("complaint", "about"), lambda c: c.get_category_display(), sort="category"),
        Column("status", gettext_lazy("status"), lambda c: c.get_status_display(), sort="status"),
        Column("major", pgettext_lazy("complaint", "major complaint"), lambda c: pgettext("complaint", "major") if c.major else ""),
        Column("created_at", gettext_lazy("registered at"), lambda c: c.created_at, sort="created_at"),
        Column("due_at", gettext_lazy("analysis due"), _due_cell, sort="due_at"),
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
    create_url_name = "feedback:complaint_create"
    search_hint = gettext_lazy("Complaint or request number, customer, text")

    def get_queryset(self):
        return selectors.complaints_visible_to(self.request.user)

    def get_title(self) -> Any:
        return pgettext("complaint", "My complaints") if is_customer(self.request.user) else self.title


class ComplaintDetailView(GatedDetailView):
    model = ServiceComplaint
    template_name = "feedback/complaint_detail.html"

    def base_queryset(self):
        return ServiceComplaint.objects.select_related(
            "customer", "customer__branch", "service_request", "follow_up", "follow_up__called_by", "handled_by",
            "registered_by", "closed_by")

    def get_context(self, obj: ServiceComplaint) -> dict[str, Any]:
        customer = is_customer(self.request.user)
        return {
            "steps": COMPLAINT_STEPS.buttons(self.request.user, obj),
            "portal": customer,
            "analyses": [] if customer else selectors.analyses_of(obj),
            "revisits": selectors.revisits_of(obj),
            "now": timezone.now(),
        }


class ComplaintStepView(StepView):
    """One declared step of a complaint (steps.py): its small form on a page of its own."""

    workflow = COMPLAINT_STEPS
    template_name = "feedback/complaint_step.html"

    def get_queryset(self):
        return ServiceComplaint.objects.select_related("customer", "service_request", "updated_by")

    def extra_context(self, obj: ServiceComplaint, step: Any) -> dict[str, Any]:
        return {"analyses": selectors.analyses_of(obj) if step.key in ("handle", "analyse") else []}


class ComplaintRegisterView(LoginRequiredMixin, View):
    """客户投诉登记: the desk registers a complaint on its own or about a request (``pk``); the customer raises
    one in the portal. The request's "register a service complaint" step opens this page."""

    template_name = "feedback/complaint_register.html"

    def _request(self, request: HttpRequest, pk: int | None) -> ServiceRequest | None:
        if pk is None:
            require_model_perm(request, ServiceComplaint, "add")
            return None
        service_request = get_for_user(request, ServiceRequest, "view",
                                       queryset=ServiceRequest.objects.select_related("customer"), pk=pk)
        found = REQUEST_STEPS.blocked("complaint", request.user, service_request)
        if found is not None:
            raise PermissionDenied(found.reason)
        return service_request

    def _form(self, request: HttpRequest, service_request: ServiceRequest | None, data: Any = None):
        from serviceloop.customers.models import Customer

        customers = Customer.objects.restrict(request.user, "view").order_by("name")
        initial = {}
        if service_request is not None:
            initial = {"contact_name": service_request.contact_name, "contact_phone": service_request.contact_phone}
        return ComplaintRegisterForm(data, user=request.user, service_request=service_request, customers=customers,
                                     initial=initial)

    def _render(self, request: HttpRequest, service_request: ServiceRequest | None, form: Any,
                status: int = 200) -> HttpResponse:
        return render(request, self.template_name, {"service_request": service_request, "form": form,
                                                    "portal": is_customer(request.user)}, status=status)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        service_request = self._request(request, pk)
        return self._render(request, service_request, self._form(request, service_request))

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        service_request = self._request(request, pk)
        form = self._form(request, service_request, request.POST)
        if form.is_valid():
            kwargs = form.service_kwargs()
            try:
                if service_request is not None:
                    complaint = REQUEST_STEPS.run("complaint", request.user, service_request, kwargs)
                else:
                    number = form.cleaned_data.get("request_number", "").strip()
                    if number:
                        found = ServiceRequest.objects.restrict(request.user, "view").filter(number=number).first()
                        if found is None:
                            raise ValidationError({"request_number": [_("No such request, or you may not see it.")]})
                        kwargs["service_request"] = found
                    complaint = services.complaint_register(actor=request.user, **kwargs)
            except ValidationError as exc:
                _merge_errors(form, exc)
            else:
                messages.success(request, _("Complaint %(number)s registered.") % {"number": complaint.number})
                return redirect(complaint.get_absolute_url())
        return self._render(request, service_request, form, status=400)


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
    """客户投诉登记、处理表 as PDF (staff: with the departments' analyses)."""
    complaint = get_for_user(request, ServiceComplaint, "view", pk=pk,
                             queryset=ServiceComplaint.objects.select_related(
                                 "customer", "service_request", "registered_by", "handled_by", "closed_by"))
    return pdf_bytes_response(documents.complaint_pdf(complaint, internal=not is_customer(request.user)),
                              f"{complaint.number}.pdf")

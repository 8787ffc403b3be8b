"""Web pages of service requests: desk queue, intake (phone, portal, QR), detail with SLA clocks,
review, plan and every other step, customer portal, SLA policies. Views parse and render; the
services decide."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from serviceloop.assets.models import Unit
from serviceloop.core import registry
from serviceloop.core.access import audit_denial, get_for_user, require_model_perm
from serviceloop.core.concurrency import save_and_record
from serviceloop.core.generic import GatedDetailView, GatedEditView, GatedListView
from serviceloop.core.listing import Column, ListSpec
from serviceloop.core.lookups import constant_in
from serviceloop.core.pdf import pdf_bytes_response
from serviceloop.core.scoping import is_customer
from serviceloop.core.steps import StepView
from serviceloop.customers.models import Customer

from . import documents, forms, selectors, services
from .choices import OPEN_STATUSES, RequestChannel, RequestStatus, SlaTarget
from .filters import QueueFilter, RequestFilter
from .models import Escalation, Review, ServiceRequest, SlaPolicy
from .sla import deadlines_for
from .sla.labels import target_label
from .steps import REQUEST_STEPS

# verbs of the timeline a customer does not need to see (internal escalations)
INTERNAL_VERBS = {"escalated"}


def humanize_delta(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)dd %(h)dh") % {"d": days, "h": hours}
    if hours:
        return _("%(h)dh %(m)dm") % {"h": hours, "m": mins}
    return _("%(m)dm") % {"m": mins}


def sla_badge(service_request: ServiceRequest, now: datetime | None = None) -> str:
    """The queue's countdown: time to the nearest deadline; overdue in red; paused in grey."""
    if service_request.sla_paused:
        return format_html('<span class="badge text-bg-secondary">{}</span>', _("paused"))
    if service_request.sla_due_at is None:
        return format_html('<span class="text-muted">{}</span>', "—")
    left = service_request.sla_due_at - (now or timezone.now())
    due = timezone.localtime(service_request.sla_due_at).strftime("%m-%d %H:%M")
    if left.total_seconds() < 0:
        return format_html('<span class="badge text-bg-danger" title="{}" data-sla="overdue">{} {}</span>',
                           due, _("overdue"), humanize_delta(left))
    tone = "warning" if left < timedelta(hours=2) else "success"
    return format_html('<span class="badge text-bg-{}" title="{}" data-sla="left">{} {}</span>',
                       tone, due, _("left"), humanize_delta(left))


def sla_text(service_request: ServiceRequest, now: datetime | None = None) -> str:
    """The queue's countdown as plain text (the Excel export): state, time left or over, and the deadline."""
    if service_request.sla_paused:
        return _("paused")
    if service_request.sla_due_at is None:
        return ""
    left = service_request.sla_due_at - (now or timezone.now())
    due = timezone.localtime(service_request.sla_due_at).strftime("%Y-%m-%d %H:%M")
    state = _("overdue") if left.total_seconds() < 0 else _("left")
    return f"{state} {humanize_delta(left)} ({due})"


def _unit_label(r: ServiceRequest) -> str:
    return r.unit.serial_number if r.unit_id else ""


QUEUE_COLUMNS = [
    Column("number", gettext_lazy("request number"), lambda r: r.number, sort="number"),
    Column("sla", gettext_lazy("SLA"), sla_badge, sort=F("sla_due_at"), export=sla_text),
    Column("priority", gettext_lazy("priority"), lambda r: r.get_priority_display(), sort="priority"),
    Column("status", gettext_lazy("status"), lambda r: r.get_status_display(), sort="status"),
    Column("customer", gettext_lazy("customer"), lambda r: r.customer_label),
    Column("unit", gettext_lazy("unit"), _unit_label),
    Column("title", gettext_lazy("title"), lambda r: r.title),
    Column("severity", gettext_lazy("severity"), lambda r: r.get_severity_display(), sort="severity"),
    Column("received", gettext_lazy("received at"),
           lambda r: timezone.localtime(r.received_at).strftime("%Y-%m-%d %H:%M"), sort="received_at"),
]

QUEUE_LIST = ListSpec(columns=QUEUE_COLUMNS, default_sort="sla", search=selectors.request_search,
                      filterset_class=QueueFilter)
ALL_LIST = ListSpec(columns=QUEUE_COLUMNS, default_sort="-received", search=selectors.request_search,
                    filterset_class=RequestFilter)


class RequestQueueView(GatedListView):
    """服务台队列: open requests, the nearest deadline first (overdue at the top)."""

    model = ServiceRequest
    spec = QUEUE_LIST
    title = gettext_lazy("Service desk queue")
    template_name = "service/queue.html"
    create_url_name = "service:create"
    export_name = "service-queue"
    search_hint = gettext_lazy("Request number, serial number, customer or phone")

    def base_queryset(self):
        return ServiceRequest.objects.select_related("customer", "unit").filter(constant_in("status", OPEN_STATUSES))

    def extra_context(self) -> dict[str, Any]:
        open_qs = ServiceRequest.objects.restrict(self.request.user, "view").filter(constant_in("status", OPEN_STATUSES))
        now = timezone.now()
        return {
            "overdue": open_qs.filter(sla_due_at__lt=now, sla_paused=False).order_by()[:1000].count(),
            "due_soon": open_qs.filter(sla_due_at__gte=now, sla_due_at__lt=now + timedelta(hours=2),
                                       sla_paused=False).order_by()[:1000].count(),
        }


class RequestListView(RequestQueueView):
    """Every request the user may see, open or not."""

    spec = ALL_LIST
    title = gettext_lazy("All service requests")
    export_name = "service-requests"

    def base_queryset(self):
        return ServiceRequest.objects.select_related("customer", "unit")


# ---------------------------------------------------------------- intake

@login_required
def request_create(request: HttpRequest) -> HttpResponse:
    """Desk intake (phone and others), or a customer's report in the portal / from the QR code."""
    require_model_perm(request, ServiceRequest, "add")
    user = request.user
    if is_customer(user):
        return _portal_create(request)
    initial: dict[str, Any] = {}
    preset = _preset_unit(request)
    if preset is not None:
        initial.update({"unit": preset.pk, "customer": preset.customer_id})
    form = forms.IntakeForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.request_create(
                actor=user, channel=data["channel"], request_type=data["request_type"],
                customer=data["customer_obj"], unit=data["unit_obj"], title=data["title"],
                description=data["description"], severity=data["severity"], contact_name=data["contact_name"],
                contact_phone=data["contact_phone"], sales_order=data["sales_order_obj"],
                handed_over_from=data["handed_over_from"], caller_company=data.get("caller_company", ""),
            )
        except ValidationError as exc:
            _merge(form, exc)
        else:
            return _created(request, result)
    chosen = form.cleaned_data.get("unit_obj") if form.is_bound and hasattr(form, "cleaned_data") else preset
    if chosen is None and form.is_bound:
        chosen = Unit.objects.restrict(user, "view").select_related("customer", "product_model") \
            .filter(pk=_int(request.POST.get("unit"))).first()
    chosen_customer = None
    if chosen is None and form.is_bound:
        chosen_customer = Customer.objects.restrict(user, "view").filter(pk=_int(request.POST.get("customer"))).first()
    context = {"form": form, "chosen": chosen, "chosen_customer": chosen_customer,
               "chosen_open": _open_for(user, [chosen.pk]) if chosen else {}}
    return render(request, "service/intake.html", context, status=400 if form.is_bound else 200)


def _portal_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    fixed = _preset_unit(request)
    channel = RequestChannel.QR if (request.GET.get("channel") == "qr" and fixed is not None) else RequestChannel.PORTAL
    initial = {"contact_name": user.display_name or user.get_full_name() or user.get_username(),
               "contact_phone": getattr(user, "phone", "")}
    form = forms.PortalRequestForm(request.POST or None, request.FILES or None, user=user, fixed_unit=fixed,
                                   initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = fixed or data["unit"]
        try:
            result = services.request_create(
                actor=user, channel=channel, request_type=data["request_type"], customer=user.customer,
                unit=unit, title=data["title"], description=data["description"], severity=data["severity"],
                contact_name=data["contact_name"], contact_phone=data["contact_phone"],
            )
            if data.get("photo"):
                from serviceloop.core.attachments import attachment_add

                attachment_add(subject=result.service_request, upload=data["photo"], user=user,
                               description=_("Photo from the customer"))
        except ValidationError as exc:
            _merge(form, exc)
        else:
            return _created(request, result)
    return render(request, "service/portal_create.html", {"form": form, "unit": fixed, "channel": channel},
                  status=400 if form.is_bound else 200)


def _created(request: HttpRequest, result: services.IntakeResult) -> HttpResponse:
    messages.success(request, _("Request %(number)s was received.") % {"number": result.service_request.number})
    for warning in result.warnings:
        messages.warning(request, warning)
    return redirect("service:detail", pk=result.service_request.pk)


def _preset_unit(request: HttpRequest) -> Unit | None:
    pk = _int(request.GET.get("unit"))
    if pk is None:
        return None
    unit = Unit.objects.restrict(request.user, "view").select_related("customer", "product_model", "site") \
        .filter(pk=pk).first()
    if unit is None:
        raise Http404(_("This unit does not exist or you may not see it."))
    return unit


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _merge(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _open_for(user: Any, unit_ids: list[int]) -> dict[int, list[ServiceRequest]]:
    found: dict[int, list[ServiceRequest]] = {}
    for r in ServiceRequest.objects.restrict(user, "view").filter(unit_id__in=unit_ids, status__in=OPEN_STATUSES) \
            .only("id", "number", "status", "unit_id").order_by("received_at"):
        found.setdefault(r.unit_id, []).append(r)
    return found


@login_required
@require_GET
def unit_lookup(request: HttpRequest) -> HttpResponse:
    """HTMX: what the desk's search at intake finds (selectors.intake_search): units by any part of the
    serial number or by their customer, the contacts (name, phone, its last digits) and customers named.
    ``all=1``: every matching unit, a page of 50 at a time (``page``)."""
    require_model_perm(request, ServiceRequest, "add")
    show_all = request.GET.get("all") == "1"
    page = _int(request.GET.get("page")) or 1
    found = selectors.intake_search(request.user, request.GET.get("q", ""), page=min(page, 1000),
                                    page_size=selectors.INTAKE_PAGE if show_all else selectors.INTAKE_SHOWN)
    open_by_unit = _open_for(request.user, [u.pk for u in found.units])
    contact_of = {}  # the customer's contact the text named: filled in when the desk picks the unit
    for contact in found.contacts:
        contact_of.setdefault(contact.customer_id, contact)
    for unit in found.units:
        unit.open_requests = open_by_unit.get(unit.pk, [])
        unit.matched_contact = contact_of.get(unit.customer_id)
    return render(request, "service/partials/lookup_results.html",
                  {"found": found, "units": found.units, "customers": found.customers, "contacts": found.contacts,
                   "q": found.text, "show_all": show_all})


# ---------------------------------------------------------------- detail and steps

class RequestDetailView(GatedDetailView):
    model = ServiceRequest
    template_name = "service/request_detail.html"

    def base_queryset(self):
        return ServiceRequest.objects.select_related(
            "customer", "customer__branch", "site", "unit", "unit__product_model", "sales_order", "contract",
            "sla_policy", "received_by", "handed_over_from")

    def get_context(self, obj: ServiceRequest) -> dict[str, Any]:
        user = self.request.user
        now = timezone.now()
        found = deadlines_for(obj, now=now)
        clocks = []
        for target in SlaTarget:
            d = found.get(target.value)
            if d is None:
                continue
            left = (d.due_at - now) if d.due_at and not d.met_at else None
            clocks.append({"label": target.label, "d": d, "left": humanize_delta(left) if left is not None else "",
                           "overdue": left is not None and left.total_seconds() < 0})
        customer_view = is_customer(user)
        context: dict[str, Any] = {
            "clocks": clocks,
            "steps": REQUEST_STEPS.buttons(user, obj),
            "reviews": selectors.reviews_with_files(user, obj),
            "escalations": [] if customer_view else Escalation.objects.filter(service_request=obj).order_by("-at")[:20],
            "other_open": selectors.open_requests_for_unit(user, obj.unit).exclude(pk=obj.pk) if obj.unit_id else [],
            "customer_view": customer_view,
            **registry.panel_context(registry.REQUEST_PAGE, user, obj),  # work orders, follow-ups (their apps)
        }
        if customer_view:  # the customer's timeline leaves out internal escalations
            from serviceloop.core.timeline import events_for

            context["events"] = [e for e in events_for(obj).exclude(verb__in=INTERNAL_VERBS)[:50]]
        return context


class RequestStepView(StepView):
    """One declared step of the request (steps.py): its small form, or a button that posts at once."""

    workflow = REQUEST_STEPS
    template_name = "service/step.html"

    def get_queryset(self):
        return ServiceRequest.objects.select_related("customer", "unit", "updated_by")

    def prepare_form(self, form: Any) -> None:
        forms.style_form(form)


@login_required
def review_create(request: HttpRequest, pk: int) -> HttpResponse:
    """评审: analysis, written opinion, decided plan, the customer's written feedback as a file."""
    r = get_for_user(request, ServiceRequest, "change", pk=pk)
    blocked = REQUEST_STEPS.blocked("review", request.user, r)
    if blocked is not None and blocked.forbidden:
        audit_denial(request, action="change", target=f"service.ServiceRequest:{pk}", outcome="forbidden")
        raise PermissionDenied(blocked.reason)
    form = forms.ReviewForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            REQUEST_STEPS.run("review", request.user, r, data)
        except ValidationError as exc:
            _merge(form, exc)
        else:
            messages.success(request, _("The review was recorded. Propose the plan to the customer next."))
            return redirect("service:detail", pk=r.pk)
    elif request.method == "GET" and blocked is not None:
        messages.error(request, blocked.reason)
        return redirect("service:detail", pk=r.pk)
    return render(request, "service/step.html", {"object": r, "form": form, "title": _("Record review"),
                                                 "multipart": True}, status=400 if form.is_bound else 200)


# ---------------------------------------------------------------- customer portal

@login_required
def portal_home(request: HttpRequest) -> HttpResponse:
    """What a customer sees first: their requests (open first) and a button to report a fault."""
    require_model_perm(request, ServiceRequest, "view")
    qs = selectors.requests_visible_to(request.user)
    active = [*OPEN_STATUSES, RequestStatus.RESOLVED]  # resolved: waits for the customer's confirmation
    open_requests = list(qs.filter(status__in=active).order_by("-received_at")[:50])
    recent = list(qs.exclude(status__in=active).order_by("-received_at")[:20])
    return render(request, "service/portal_home.html", {
        "open_requests": open_requests, "recent": recent,
        "can_add": request.user.has_perm("service.add_servicerequest"),
        "unit_count": Unit.objects.restrict(request.user, "view").order_by()[:1001].count(),
    })


# ---------------------------------------------------------------- SLA policies

SLA_POLICY_LIST = ListSpec(
    columns=[
        Column("name", gettext_lazy("name"), lambda p: p.name, sort="name"),
        Column("type", gettext_lazy("request type"), lambda p: p.get_request_type_display() or _("any")),
        Column("severity", gettext_lazy("severity"), lambda p: p.get_severity_display() or _("any")),
        Column("level", gettext_lazy("customer level"), lambda p: p.get_customer_level_display() or _("any")),
        Column("first", SlaTarget.FIRST_RESPONSE.label, lambda p: target_label(p, p.first_response_minutes)),
        Column("contact", SlaTarget.ENGINEER_CONTACT.label, lambda p: target_label(p, p.engineer_contact_minutes)),
        Column("plan", SlaTarget.PLAN_DECIDED.label, lambda p: target_label(p, p.plan_decided_minutes)),
        Column("arrival", SlaTarget.ONSITE_ARRIVAL.label, lambda p: target_label(p, p.onsite_arrival_minutes)),
        Column("resolution", SlaTarget.RESOLUTION.label, lambda p: target_label(p, p.resolution_minutes)),
        Column("default", gettext_lazy("default policy"), lambda p: _("yes") if p.is_default else ""),
        Column("active", gettext_lazy("active"), lambda p: _("yes") if p.active else _("no")),
    ],
    default_sort="name",
)


class SlaPolicyListView(GatedListView):
    model = SlaPolicy
    spec = SLA_POLICY_LIST
    title = gettext_lazy("SLA policies")
    create_url_name = "service:sla_policy_create"
    export_name = "sla-policies"

    def base_queryset(self):
        return SlaPolicy.objects.select_related("calendar")  # the calendar's working day sets the days shown


class SlaPolicyDetailView(GatedDetailView):
    model = SlaPolicy
    template_name = "service/slapolicy_detail.html"


class SlaPolicyEditView(GatedEditView):
    model = SlaPolicy
    form_class = forms.SlaPolicyForm
    title_create = gettext_lazy("New SLA policy")
    title_edit = gettext_lazy("Edit SLA policy")

    @staticmethod
    def save(*, user, instance, form):
        from django.db import transaction

        with transaction.atomic():
            return save_and_record(instance, user=user, expected_version=form.expected_version)


# ---------------------------------------------------------------- print-outs (staff only)

def _staff_only(request: HttpRequest, target: str) -> None:
    if is_customer(request.user):
        audit_denial(request, action="view", target=target, outcome="forbidden")
        raise PermissionDenied(_("Your role does not allow this."))


@login_required
def intake_record_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """电话报修登记处理表 of a request, as PDF."""
    obj = get_for_user(request, ServiceRequest, "view", pk=pk)
    _staff_only(request, f"service.ServiceRequest:{obj.pk}")
    return pdf_bytes_response(documents.intake_record_pdf(obj), f"{obj.number}-intake.pdf")


@login_required
def review_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """A review (评审) of a request, as PDF."""
    review = get_for_user(request, Review, "view", pk=pk, queryset=Review.objects.select_related("service_request",
                                                                                               "reviewer"))
    _staff_only(request, f"service.Review:{review.pk}")
    return pdf_bytes_response(documents.review_pdf(review), f"{review.service_request.number}-review-{review.pk}.pdf")

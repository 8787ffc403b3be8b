"""API v1: service requests (CSI) with their workflow moves, reviews, escalations and SLA policies.

Reads go through the access gate; every write is one call of a service in service.services.
- Staff moves need the role's change permission on the request (visible but not allowed: 403);
  customers may only log requests and confirm a plan or a resolution in the portal, for their
  own company (another company's request: 404).
- Each move takes an optional ``version``: a request changed since that version is refused (409).
- An illegal move is a 400 with the service's message.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.accounts.models import Department
from serviceloop.assets.models import SalesOrder, Unit
from serviceloop.core.api import (
    DETAIL_SCHEMA,
    AttachmentSerializer,
    GatedModelViewSet,
    GatedQuerysetMixin,
    GatedReadOnlyViewSet,
    GatedRelatedField,
    RecordRelatedField,
    VersionedModelSerializer,
    _require,
    visible,
)
from serviceloop.core.concurrency import save_and_record
from serviceloop.core.fastpaths.serializers import BuiltOnceFields as _BuiltOnceFields
from serviceloop.core.models import Attachment, TimelineEvent, WorkCalendar
from serviceloop.core.scoping import is_customer, scope_of
from serviceloop.core.step_api import add_step_actions, allowed_steps_field
from serviceloop.core.timeline import events_for
from serviceloop.customers.models import Customer, Site

from . import selectors, services
from .choices import (
    OPEN_STATUSES,
    EscalationLevel,
    Priority,
    RequestChannel,
    RequestStatus,
    RequestType,
    ServicePlan,
    Severity,
    SlaEventKind,
    SlaTarget,
)
from .models import TRANSITIONS, Escalation, Review, ServiceRequest, SlaEvent, SlaPolicy
from .sla import Deadline, deadlines, spec_for_request
from .steps import REQUEST_STEPS

TIMESTAMPS = ["created_at", "updated_at"]
MAX_INT = 2**31 - 1
# the codes of core.attachments' refusals: shown on the upload field, not on the request
ATTACHMENT_ERRORS = {"extension", "empty", "size", "content"}

# timeline verbs customers do not see (internal escalations), as on the request page
INTERNAL_VERBS = {"escalated"}


def _minutes(delta) -> int:
    return int(delta.total_seconds() // 60)


# --- read serializers ------------------------------------------------------------------------


class DeadlineSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=SlaTarget.choices)
    label = serializers.CharField()
    amount_minutes = serializers.IntegerField(help_text=gettext_lazy("The target, in working minutes."))
    started_at = serializers.DateTimeField(allow_null=True, help_text=gettext_lazy("Empty: not started yet."))
    due_at = serializers.DateTimeField(allow_null=True)
    met_at = serializers.DateTimeField(allow_null=True)
    elapsed_minutes = serializers.IntegerField(help_text=gettext_lazy("Working minutes counted so far."))
    remaining_minutes = serializers.IntegerField(help_text=gettext_lazy("Working minutes left; negative: overdue."))
    fraction_left = serializers.FloatField()
    breached = serializers.BooleanField()
    running = serializers.BooleanField(help_text=gettext_lazy("The clock is counting right now."))
    open = serializers.BooleanField(help_text=gettext_lazy("Started and not met yet."))


def _deadline_rows(found: dict[str, Deadline]) -> list[dict[str, Any]]:
    return [
        {
            "target": d.target,
            "label": str(SlaTarget(d.target).label),
            "amount_minutes": _minutes(d.amount),
            "started_at": d.started_at,
            "due_at": d.due_at,
            "met_at": d.met_at,
            "elapsed_minutes": _minutes(d.elapsed),
            "remaining_minutes": _minutes(d.remaining),
            "fraction_left": round(d.fraction_left, 4),
            "breached": d.breached,
            "running": d.running,
            "open": d.is_open,
        }
        for d in found.values()
    ]


def _time_left(service_request: ServiceRequest, found: dict[str, Deadline]) -> int | None:
    """Working minutes left on the nearest open target; None when no target is open."""
    if not service_request.is_open:
        return None
    left = [d.remaining for d in found.values() if d.is_open]
    return _minutes(min(left)) if left else None


class _ReadOnlyModelSerializer(_BuiltOnceFields, serializers.ModelSerializer):
    """A read-only ModelSerializer whose fields are built from the model once per class, then copied:
    building ~50 fields from model metadata on every response would cost more than the intake itself.

    Read-only choice fields that may be blank keep ``allow_blank`` (DRF drops it), so the schema
    admits the empty value they hold until set.
    """

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        blank = kwargs.get("allow_blank", False) and "choices" in kwargs
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank:
            kwargs["allow_blank"] = True
        return kwargs


class ServiceRequestSerializer(_ReadOnlyModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True, allow_null=True)
    unit_serial_number = serializers.CharField(source="unit.serial_number", read_only=True, allow_null=True)
    sales_order_number = serializers.CharField(source="sales_order.number", read_only=True, allow_null=True)
    contract_number = serializers.CharField(source="contract.number", read_only=True, allow_null=True)
    warranty_state_label = serializers.CharField(source="get_warranty_state_display", read_only=True)
    warranty_reason = serializers.CharField(source="warranty_reason_text", read_only=True)
    allowed_moves = serializers.SerializerMethodField(
        help_text=gettext_lazy("Moves the request's status allows now (the role may allow fewer).")
    )

    class Meta:
        model = ServiceRequest
        fields = [
            "id", "number", "channel", "request_type", "severity", "priority", "status", "status_label",
            "customer", "customer_name", "caller_company", "site", "contact_name", "contact_phone", "unit", "unit_serial_number",
            "sales_order", "sales_order_number", "contract", "contract_number", "warranty_state",
            "warranty_state_label", "warranty_reason", "title", "description", "received_at", "received_by",
            "handed_over_from", "handed_over_at", "first_responded_at", "plan", "plan_note", "plan_decided_at",
            "customer_confirmed_at", "customer_confirmed_via", "customer_confirmed_name", "resolution",
            "resolved_at", "resolution_confirmed_at", "resolution_confirmed_via", "resolution_confirmed_name",
            "closed_at", "cancel_reason", "sla_policy", "sla_paused", "sla_pause_reason", "sla_due_at",
            "sla_breached", "allowed_moves", "version", *TIMESTAMPS,
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(TRANSITIONS))))
    def get_allowed_moves(self, obj: ServiceRequest) -> list[str]:
        return [move for move, (sources, _target) in TRANSITIONS.items() if obj.status in sources]


class ServiceRequestDetailSerializer(ServiceRequestSerializer):
    """One request with its SLA deadlines (recomputed from its SLA log now)."""

    deadlines = serializers.SerializerMethodField()
    time_left_minutes = serializers.SerializerMethodField(
        help_text=gettext_lazy("Working minutes left on the nearest open SLA target; negative: overdue.")
    )

    allowed_steps = serializers.SerializerMethodField()

    class Meta(ServiceRequestSerializer.Meta):
        fields = [*ServiceRequestSerializer.Meta.fields, "deadlines", "time_left_minutes", "allowed_steps"]
        read_only_fields = fields

    @allowed_steps_field(REQUEST_STEPS)
    def get_allowed_steps(self, obj: ServiceRequest) -> list[str]:
        return REQUEST_STEPS.allowed_keys(self.context["request"].user, obj)

    def _found(self, obj: ServiceRequest) -> dict[str, Deadline]:
        cache = self.context.setdefault("_deadlines", {})
        if obj.pk not in cache:
            cache[obj.pk] = deadlines(obj, obj.sla_events.all(), spec_for_request(obj))
        return cache[obj.pk]

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, obj: ServiceRequest) -> list[dict[str, Any]]:
        return DeadlineSerializer(_deadline_rows(self._found(obj)), many=True).data

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_time_left_minutes(self, obj: ServiceRequest) -> int | None:
        return _time_left(obj, self._found(obj))


class OpenRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=RequestStatus.choices)


class ServiceRequestCreatedSerializer(ServiceRequestSerializer):
    """The new request, and what the desk should know about it (not errors)."""

    warnings = serializers.SerializerMethodField()
    open_requests = serializers.SerializerMethodField(
        help_text=gettext_lazy("Other open requests for the same unit.")
    )

    class Meta(ServiceRequestSerializer.Meta):
        fields = [*ServiceRequestSerializer.Meta.fields, "warnings", "open_requests"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warnings(self, obj: ServiceRequest) -> list[str]:
        return list(self.context.get("warnings", []))

    @extend_schema_field(OpenRequestSerializer(many=True))
    def get_open_requests(self, obj: ServiceRequest) -> list[dict[str, Any]]:
        return [{"id": r.pk, "number": r.number, "status": r.status} for r in self.context.get("open_requests", [])]


class EmailIntakeCreatedSerializer(ServiceRequestCreatedSerializer):
    matched_by = serializers.SerializerMethodField(
        help_text=gettext_lazy("How the customer was found: the sender's contact e-mail, a unit's serial number.")
    )

    class Meta(ServiceRequestCreatedSerializer.Meta):
        fields = [*ServiceRequestCreatedSerializer.Meta.fields, "matched_by"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=["contact_email", "serial"])))
    def get_matched_by(self, obj: ServiceRequest) -> list[str]:
        return list(self.context.get("matched_by", []))


class TimelineEventSerializer(_ReadOnlyModelSerializer):
    verb_label = serializers.CharField(source="get_verb_display", read_only=True)
    from_label = serializers.CharField(read_only=True)
    to_label = serializers.CharField(read_only=True)
    note = serializers.CharField(source="display_note", read_only=True)
    actor_name = serializers.SerializerMethodField()
    data = serializers.JSONField()

    class Meta:
        model = TimelineEvent
        fields = ["id", "at", "verb", "verb_label", "actor", "actor_name", "from_state", "from_label", "to_state",
                  "to_label", "note", "quantity", "data"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor_name(self, obj: TimelineEvent) -> str | None:
        return str(obj.actor) if obj.actor_id else None


class SlaEventSerializer(_ReadOnlyModelSerializer):
    class Meta:
        model = SlaEvent
        fields = ["id", "kind", "target", "reason", "at", "actor"]
        read_only_fields = fields


class SlaPauseSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text=gettext_lazy("Why the clocks stood still (waiting_customer, ...)."))
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True, help_text=gettext_lazy("Empty: still paused."))
    minutes = serializers.IntegerField(help_text=gettext_lazy("Wall-clock minutes paused (so far)."))
    paused_by = serializers.IntegerField(allow_null=True)


class SlaStatusSerializer(serializers.Serializer):
    service_request = serializers.IntegerField()
    policy = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("Empty: the built-in targets."))
    policy_name = serializers.CharField(allow_null=True)
    paused = serializers.BooleanField()
    pause_reason = serializers.CharField(allow_blank=True)
    due_at = serializers.DateTimeField(allow_null=True, help_text=gettext_lazy("The earliest open deadline."))
    breached = serializers.BooleanField()
    time_left_minutes = serializers.IntegerField(allow_null=True)
    deadlines = DeadlineSerializer(many=True)
    pauses = SlaPauseSerializer(many=True)
    events = SlaEventSerializer(many=True)


def _pauses(events: list[SlaEvent], now) -> list[dict[str, Any]]:
    """Pause -> resume (or the stop that ended it) pairs of the SLA log."""
    rows: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for event in events:
        if event.target:
            continue
        if event.kind == SlaEventKind.PAUSED and current is None:
            current = {"reason": event.reason, "started_at": event.at, "ended_at": None,
                       "paused_by": event.actor_id}
            rows.append(current)
        elif event.kind in (SlaEventKind.RESUMED, SlaEventKind.STOPPED) and current is not None:
            current["ended_at"] = event.at
            current = None
    for row in rows:
        row["minutes"] = _minutes((row["ended_at"] or now) - row["started_at"])
    return rows


# --- input serializers -----------------------------------------------------------------------


class ServiceRequestCreateSerializer(_BuiltOnceFields, serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=RequestChannel.choices, default=RequestChannel.API,
        help_text=gettext_lazy("Customers' requests are always logged as portal requests."),
    )
    request_type = serializers.ChoiceField(choices=RequestType.choices)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.GENERAL)
    priority = serializers.ChoiceField(
        choices=Priority.choices, required=False,
        help_text=gettext_lazy("Leave out to derive it from severity, customer level and contract "
                               "(customers cannot set it)."),
    )
    customer = GatedRelatedField(
        queryset=Customer.objects.all(), required=False,
        help_text=gettext_lazy("Required for staff; a customer's own company when left out."),
    )
    site = GatedRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    unit = GatedRelatedField(
        # what the intake reads of the unit comes in the same query
        queryset=Unit.objects.select_related("so_line__order", "product_model", "site"),
        required=False, allow_null=True,
    )
    sales_order = GatedRelatedField(queryset=SalesOrder.objects.all(), required=False, allow_null=True,
                                    help_text=gettext_lazy("SO#; a quality complaint needs one."))
    handed_over_from = GatedRelatedField(
        queryset=Department.objects.all(), required=False, allow_null=True,
        help_text=gettext_lazy("The department that received the request (staff only)."),
    )
    contact_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    caller_company = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="",
        help_text=gettext_lazy("Staff: a caller who is not in the system yet (no customer); link the customer "
                               "later with link-customer."))
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20_000, required=False, allow_blank=True, default="")
    received_at = serializers.DateTimeField(
        required=False,
        help_text=gettext_lazy("When the request reached us; now when left out (staff only, within the last year)."),
    )

    def validate_received_at(self, value):
        if value < timezone.now() - timedelta(days=366):
            raise serializers.ValidationError(_("A request cannot be logged more than a year after it was received."))
        return value


class EmailIntakeSerializer(serializers.Serializer):
    from_address = serializers.CharField(max_length=320, help_text=gettext_lazy("The sender, e.g. 王工 <wang@example.com>."))
    subject = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    body = serializers.CharField(max_length=50_000, required=False, allow_blank=True, default="")
    serial = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default="",
        help_text=gettext_lazy("The unit's serial number, when the gateway knows it; else it is looked for in "
                               "the subject and body."),
    )
    request_type = serializers.ChoiceField(choices=RequestType.choices, default=RequestType.FAULT_REPAIR)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.GENERAL)


class ReviewSerializer(_ReadOnlyModelSerializer):
    service_request_number = serializers.CharField(source="service_request.number", read_only=True)
    reviewer_name = serializers.SerializerMethodField()
    customer_feedback = serializers.SerializerMethodField(
        help_text=gettext_lazy("The customer's written feedback attached to the review.")
    )

    class Meta:
        model = Review
        fields = ["id", "service_request", "service_request_number", "review_form", "analysis", "opinion", "decided_plan",
                  "reviewer", "reviewer_name", "reviewed_at", "customer_feedback", "shown_to_customer", "version",
                  *TIMESTAMPS]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reviewer_name(self, obj: Review) -> str | None:
        return str(obj.reviewer) if obj.reviewer_id else None

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_customer_feedback(self, obj: Review) -> list[dict[str, Any]]:
        by_review = self.context.get("feedback")
        if by_review is None:
            by_review = _feedback_of([obj.pk])
        return AttachmentSerializer(by_review.get(obj.pk, []), many=True, context=self.context).data


def _feedback_of(review_ids: list[int]) -> dict[int, list[Attachment]]:
    """The attachments of these reviews, in one query."""
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(Review)
    found: dict[int, list[Attachment]] = {pk: [] for pk in review_ids}
    for attachment in Attachment.objects.filter(content_type=ct, object_id__in=review_ids).order_by("uploaded_at", "id"):
        found[attachment.object_id].append(attachment)
    return found


# --- service requests ------------------------------------------------------------------------


def _request_search(queryset, text: str):
    """Request number prefix (the unique index as a range) or words of the title."""
    upper = text.upper()
    return queryset.filter(Q(number__gte=upper, number__lt=upper + "\uffff") | Q(title__icontains=text))


class ServiceRequestFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices)
    request_type = django_filters.ChoiceFilter(choices=RequestType.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    channel = django_filters.ChoiceFilter(choices=RequestChannel.choices)
    customer = django_filters.ModelChoiceFilter(queryset=visible(Customer))
    unit = django_filters.ModelChoiceFilter(queryset=visible(Unit))
    breached = django_filters.BooleanFilter(field_name="sla_breached", label=gettext_lazy("SLA breached"))
    open = django_filters.BooleanFilter(method="filter_open", label=gettext_lazy("open (not resolved, closed or cancelled)"))
    received_from = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_to = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = ServiceRequest
        fields = ["status", "request_type", "severity", "priority", "channel", "customer", "unit", "breached"]

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(status__in=OPEN_STATUSES) if value else queryset.exclude(status__in=OPEN_STATUSES)


CONFLICT = OpenApiResponse(DETAIL_SCHEMA, description="The request was changed since the version sent.")


def _move_schema(body: Any, summary: str, **extra: Any):
    return extend_schema(request=body, responses={200: ServiceRequestDetailSerializer, 409: CONFLICT},
                         summary=summary, **extra)


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Service requests the caller may see")),
    retrieve=extend_schema(summary=gettext_lazy("One request with its warranty state and SLA deadlines")),
    create=extend_schema(request=ServiceRequestCreateSerializer, responses={201: ServiceRequestCreatedSerializer},
                         summary=gettext_lazy("Log a request (warnings name other open requests for the unit)")),
)
class ServiceRequestViewSet(GatedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """服务请求 (CSI). Search: request number prefix or words of the title."""

    model = ServiceRequest
    serializer_class = ServiceRequestSerializer
    filterset_class = ServiceRequestFilter
    search_fields = ["number", "title"]
    search_function = staticmethod(_request_search)
    ordering_fields = ["received_at", "sla_due_at", "priority", "severity", "status", "number", "updated_at"]
    ordering = ["-received_at", "-id"]

    def base_queryset(self):
        return ServiceRequest.objects.select_related("customer", "unit", "sales_order", "contract", "sla_policy")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ServiceRequestDetailSerializer
        return ServiceRequestSerializer

    # --- intake --------------------------------------------------------------------------------

    def create(self, request, *args, **kwargs):
        _require(request, ServiceRequest, "add")
        data = self._input(ServiceRequestCreateSerializer)
        data.setdefault("customer", None)  # the service says which customer is missing (a customer: their own)
        result = services.request_create(actor=request.user, **data)
        return self._created(result, ServiceRequestCreatedSerializer)

    def _created(self, result: services.IntakeResult, serializer_class: type, **context: Any) -> Response:
        """201 with the request; other open requests for the unit only where the caller may see them."""
        pairs = list(zip(result.open_requests, result.warnings, strict=False))
        if pairs and scope_of(self.request.user).kind != "all":
            seen = set(ServiceRequest.objects.restrict(self.request.user, "view")
                       .filter(pk__in=[r.pk for r, _w in pairs]).values_list("pk", flat=True))
            pairs = [(r, w) for r, w in pairs if r.pk in seen]
        ctx = {**self.get_serializer_context(), "open_requests": [r for r, _w in pairs],
               "warnings": [w for _r, w in pairs] + list(result.warnings[len(result.open_requests):]),
               **context}
        return Response(serializer_class(result.service_request, context=ctx).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=EmailIntakeSerializer, responses={201: EmailIntakeCreatedSerializer},
        summary=gettext_lazy("Log a request from an e-mail (staff: the mail gateway)"),
        description=gettext_lazy(
            "The customer is found by the sender's contact e-mail address, or by a unit's serial number "
            "(given, or found in the subject or body). The subject becomes the title, the body the description."
        ),
    )
    @action(detail=False, methods=["post"], url_path="intake-email", filter_backends=[], pagination_class=None)
    def intake_email(self, request):
        _require(request, ServiceRequest, "add")
        if is_customer(request.user):
            raise exceptions.PermissionDenied(_("The e-mail intake is for staff."))
        payload = EmailIntakeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        found = selectors.email_intake_match(request.user, from_address=data["from_address"],
                                             subject=data["subject"], body=data["body"], serial=data["serial"])
        if found.customer is None:
            raise exceptions.ValidationError({"from_address": [found.error]})
        contact = found.contact
        subject = " ".join(data["subject"].split())
        first_line = next((line.strip() for line in data["body"].splitlines() if line.strip()), "")
        title = (subject or first_line or _("E-mail from %(address)s") % {"address": found.address})[:200]
        result = services.request_create(
            actor=request.user, channel=RequestChannel.EMAIL, request_type=data["request_type"],
            severity=data["severity"], customer=found.customer, title=title, description=data["body"],
            unit=found.unit,
            site=contact.site if contact is not None and found.unit is None else None,
            contact_name=contact.name if contact is not None else found.address[:100],
            contact_phone=contact.phone if contact is not None else "",
        )
        result.warnings.extend(found.warnings)
        return self._created(result, EmailIntakeCreatedSerializer, matched_by=found.matched_by)

    # --- reads ---------------------------------------------------------------------------------

    @extend_schema(responses={200: TimelineEventSerializer(many=True)},
                   summary=gettext_lazy("The request's timeline, oldest first"))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def timeline(self, request, pk=None):
        obj = self.get_object()
        events = events_for(obj).order_by("at", "id")
        if is_customer(request.user):
            events = events.exclude(verb__in=INTERNAL_VERBS)
        return Response(TimelineEventSerializer(events, many=True).data)

    @extend_schema(responses={200: SlaStatusSerializer},
                   summary=gettext_lazy("SLA deadlines, pauses and the SLA log of the request"))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def sla(self, request, pk=None):
        obj = self.get_object()
        now = timezone.now()
        log = list(obj.sla_events.order_by("at", "id"))  # the clocks count from the whole log
        found = deadlines(obj, log, spec_for_request(obj), now=now)
        # the log itself only for roles that may read SLA events (not customers)
        shown = set(selectors.sla_events_of(request.user, obj).values_list("pk", flat=True))
        data = {
            "service_request": obj.pk,
            "policy": obj.sla_policy_id,
            "policy_name": obj.sla_policy.name if obj.sla_policy_id else None,
            "paused": obj.sla_paused,
            "pause_reason": obj.sla_pause_reason,
            "due_at": obj.sla_due_at,
            "breached": obj.sla_breached,
            "time_left_minutes": _time_left(obj, found),
            "deadlines": _deadline_rows(found),
            "pauses": _pauses(log, now),
            "events": [e for e in log if e.pk in shown],
        }
        return Response(SlaStatusSerializer(data).data)

    # --- moves ---------------------------------------------------------------------------------

    def step_queryset(self):
        return ServiceRequest.objects.select_related("customer", "unit", "updated_by")

    def step_detail(self, pk: int) -> Response:
        obj = self.base_queryset().get(pk=pk)
        return Response(ServiceRequestDetailSerializer(obj, context=self.get_serializer_context()).data)


# --- reviews ---------------------------------------------------------------------------------


class ReviewFilter(django_filters.FilterSet):
    service_request = django_filters.ModelChoiceFilter(queryset=visible(ServiceRequest))
    decided_plan = django_filters.ChoiceFilter(choices=ServicePlan.choices)

    class Meta:
        model = Review
        fields = ["service_request", "decided_plan"]


class ReviewViewSet(GatedReadOnlyViewSet):
    """评审: written review opinions of requests (recorded with POST service-requests/{id}/review/)."""

    model = Review
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    search_fields = ["opinion"]
    ordering_fields = ["reviewed_at"]
    ordering = ["-reviewed_at", "-id"]

    def base_queryset(self):
        return Review.objects.select_related("service_request", "reviewer")

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        context = {**self.get_serializer_context(), "feedback": _feedback_of([r.pk for r in rows])}
        data = ReviewSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)


# --- escalations -----------------------------------------------------------------------------


class EscalationSerializer(_ReadOnlyModelSerializer):
    service_request_number = serializers.CharField(source="service_request.number", read_only=True)

    class Meta:
        model = Escalation
        fields = ["id", "service_request", "service_request_number", "target", "level", "at", "due_at", "breached"]
        read_only_fields = fields


class EscalationFilter(django_filters.FilterSet):
    service_request = django_filters.ModelChoiceFilter(queryset=visible(ServiceRequest))
    target = django_filters.ChoiceFilter(choices=SlaTarget.choices)
    level = django_filters.ChoiceFilter(choices=EscalationLevel.choices)

    class Meta:
        model = Escalation
        fields = ["service_request", "target", "level", "breached"]


class EscalationViewSet(GatedReadOnlyViewSet):
    """SLA escalations (read-only: written by the periodic SLA check)."""

    model = Escalation
    serializer_class = EscalationSerializer
    filterset_class = EscalationFilter
    ordering_fields = ["at", "due_at"]
    ordering = ["-at", "-id"]

    def base_queryset(self):
        return Escalation.objects.select_related("service_request")


# --- SLA policies ----------------------------------------------------------------------------


class SlaPolicySerializer(VersionedModelSerializer):
    # work calendars are global reference data, as in the policy form
    calendar = RecordRelatedField(queryset=WorkCalendar.objects.all(), allow_null=True, required=False)

    class Meta:
        model = SlaPolicy
        fields = ["id", "name", "request_type", "severity", "customer_level", "contract_sla_level",
                  "first_response_minutes", "engineer_contact_minutes", "plan_decided_minutes",
                  "onsite_arrival_minutes", "resolution_minutes", "calendar", "is_default", "active", "version",
                  *TIMESTAMPS]
        read_only_fields = TIMESTAMPS
        extra_kwargs = {name: {"max_value": 365 * 24 * 60} for name in (
            "first_response_minutes", "engineer_contact_minutes", "plan_decided_minutes", "onsite_arrival_minutes",
            "resolution_minutes")}


def _sla_policy_save(*, user: Any, instance: SlaPolicy, expected_version: int | None) -> SlaPolicy:
    return save_and_record(instance, user=user, expected_version=expected_version)


class SlaPolicyFilter(django_filters.FilterSet):
    class Meta:
        model = SlaPolicy
        fields = ["request_type", "severity", "customer_level", "contract_sla_level", "is_default", "active"]


class SlaPolicyViewSet(GatedModelViewSet):
    """服务时限 policies: targets in working minutes; the most specific matching policy applies."""

    model = SlaPolicy
    serializer_class = SlaPolicySerializer
    filterset_class = SlaPolicyFilter
    search_fields = ["name"]
    ordering_fields = ["name", "updated_at"]
    ordering = ["name"]
    save_service = staticmethod(_sla_policy_save)

    def base_queryset(self):
        return SlaPolicy.objects.select_related("calendar")


add_step_actions(ServiceRequestViewSet, REQUEST_STEPS, detail_serializer=ServiceRequestDetailSerializer)

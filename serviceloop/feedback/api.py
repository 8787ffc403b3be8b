"""API v1: follow-ups (回访) and service complaints (服务投诉). Reads through the gate, writes through
feedback.services (a follow-up closes or reopens its request there)."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from serviceloop.core.api import (
    GatedQuerysetMixin,
    GatedReadOnlyViewSet,
    GatedRelatedField,
    _require,
    visible,
)
from serviceloop.core.scoping import is_customer
from serviceloop.core.step_api import add_step_actions, allowed_steps_field
from serviceloop.customers.models import Customer
from serviceloop.service.models import ServiceRequest

from . import selectors, services
from .choices import (
    SCORE_MAX,
    SCORE_MIN,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStatus,
    FollowUpChannel,
    FollowUpOutcome,
    UnsatisfiedAction,
)
from .filters import overdue_analyses
from .inputs import ComplaintRegisterSerializer
from .models import ComplaintAnalysis, ComplaintRevisit, FollowUp, ServiceComplaint
from .steps import COMPLAINT_STEPS


class FollowUpSerializer(serializers.ModelSerializer):
    service_request_number = serializers.CharField(source="service_request.number", read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "service_request", "service_request_number", "resolved_at", "channel", "called_by", "called_at", "person",
                  "attitude", "skill", "timeliness", "satisfied", "comments", "outcome", "version", "created_at"]
        read_only_fields = fields


def _score(label) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=SCORE_MIN, max_value=SCORE_MAX, help_text=label)


class FollowUpCreateSerializer(serializers.Serializer):
    service_request = GatedRelatedField(queryset=ServiceRequest.objects.all(), help_text=_("A resolved service request."))
    channel = serializers.ChoiceField(
        choices=FollowUpChannel.choices, required=False,
        help_text=_("Default: the portal for customers, a phone call for staff."),
    )
    attitude = _score(_("Service attitude, 1 (poor) to 5 (excellent)."))
    skill = _score(_("Technical skill, 1 to 5."))
    timeliness = _score(_("Timeliness, 1 to 5."))
    satisfied = serializers.BooleanField()
    comments = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000,
                                     help_text=_("Required when not satisfied."))
    person = serializers.CharField(required=False, allow_blank=True, default="", max_length=100,
                                   help_text=_("The person reached (phone calls)."))
    unsatisfied_action = serializers.ChoiceField(
        choices=UnsatisfiedAction.choices, required=False, default=UnsatisfiedAction.REOPEN,
        help_text=_("When not satisfied: reopen the request, or register a service complaint and close it."),
    )


class FollowUpFilter(django_filters.FilterSet):
    service_request = django_filters.ModelChoiceFilter(queryset=visible(ServiceRequest))
    channel = django_filters.ChoiceFilter(choices=FollowUpChannel.choices)
    outcome = django_filters.ChoiceFilter(choices=FollowUpOutcome.choices)

    class Meta:
        model = FollowUp
        fields = ["service_request", "channel", "satisfied", "outcome"]


class FollowUpViewSet(GatedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, viewsets.GenericViewSet):
    """回访: the customer's answer after a resolution. Creating one closes the request (satisfied),
    reopens it, or registers a service complaint and closes it."""

    model = FollowUp
    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter
    search_fields = ["service_request__number", "person"]
    ordering_fields = ["called_at", "id"]
    ordering = ["-called_at"]

    def base_queryset(self):
        return FollowUp.objects.select_related("service_request")

    @extend_schema(request=FollowUpCreateSerializer, responses={201: FollowUpSerializer})
    def create(self, request, *args, **kwargs):
        _require(request, FollowUp, "add")
        data = self._input(FollowUpCreateSerializer)
        follow_up = services.follow_up_record(
            actor=request.user, service_request=data["service_request"],
            channel=data.get("channel") or (FollowUpChannel.PORTAL if is_customer(request.user) else FollowUpChannel.PHONE),
            attitude=data["attitude"], skill=data["skill"], timeliness=data["timeliness"],
            satisfied=data["satisfied"], comments=data["comments"], person=data["person"],
            unsatisfied_action=data["unsatisfied_action"],
        )
        follow_up = self.base_queryset().get(pk=follow_up.pk)
        return Response(FollowUpSerializer(follow_up, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


class ComplaintAnalysisSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = ComplaintAnalysis
        fields = ["id", "department", "department_name", "sent_by", "sent_at", "due_at", "cause", "improvement",
                  "submitted_by", "submitted_at", "overdue_at"]
        read_only_fields = fields


class ComplaintRevisitSerializer(serializers.ModelSerializer):
    class Meta:
        model = ComplaintRevisit
        fields = ["id", "channel", "called_at", "person", "satisfied", "comments", "recorded_by"]
        read_only_fields = fields


class ServiceComplaintSerializer(serializers.ModelSerializer):
    service_request_number = serializers.CharField(source="service_request.number", read_only=True, default=None)
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = ServiceComplaint
        fields = ["id", "number", "customer", "customer_name", "service_request", "service_request_number",
                  "follow_up", "channel", "category", "contact_name", "contact_phone", "description", "major",
                  "escalated_at", "status", "due_at", "registered_by", "handled_by", "handled_at", "handling_note",
                  "closed_by", "closed_at", "version", "created_at", "updated_at"]
        read_only_fields = fields


class ServiceComplaintDetailSerializer(ServiceComplaintSerializer):
    allowed_steps = serializers.SerializerMethodField()
    analyses = serializers.SerializerMethodField()
    revisits = ComplaintRevisitSerializer(many=True, read_only=True)

    class Meta(ServiceComplaintSerializer.Meta):
        fields = [*ServiceComplaintSerializer.Meta.fields, "analyses", "revisits", "allowed_steps"]
        read_only_fields = fields

    @allowed_steps_field(COMPLAINT_STEPS)
    def get_allowed_steps(self, obj: ServiceComplaint) -> list[str]:
        return COMPLAINT_STEPS.allowed_keys(self.context["request"].user, obj)

    @extend_schema_field(ComplaintAnalysisSerializer(many=True))
    def get_analyses(self, obj: ServiceComplaint) -> list[dict]:
        """The departments' parts: staff only (a customer sees the measures and the revisits)."""
        if is_customer(self.context["request"].user):
            return []
        return ComplaintAnalysisSerializer(selectors.analyses_of(obj), many=True).data


class ComplaintFilter(django_filters.FilterSet):
    service_request = django_filters.ModelChoiceFilter(queryset=visible(ServiceRequest))
    customer = django_filters.ModelChoiceFilter(queryset=visible(Customer))
    status = django_filters.ChoiceFilter(choices=ComplaintStatus.choices)
    category = django_filters.ChoiceFilter(choices=ComplaintCategory.choices)
    channel = django_filters.ChoiceFilter(choices=ComplaintChannel.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="analysis overdue")

    class Meta:
        model = ServiceComplaint
        fields = ["service_request", "customer", "status", "category", "channel", "major", "overdue"]

    def filter_overdue(self, qs, name, value):
        late = Exists(overdue_analyses().filter(complaint=OuterRef("pk")))
        return qs.filter(late) if value else qs.exclude(late)


class ServiceComplaintViewSet(mixins.CreateModelMixin, GatedReadOnlyViewSet):
    """服务投诉: complaints about the service itself (seed 003 §5.5). Register one with POST; then the declared
    steps: send to the departments, each department's analysis, escalate, the measures, revisit, close."""

    model = ServiceComplaint
    serializer_class = ServiceComplaintSerializer
    filterset_class = ComplaintFilter
    search_fields = ["number", "service_request__number", "customer__name"]
    ordering_fields = ["created_at", "due_at", "status", "id"]
    ordering = ["-created_at"]

    def base_queryset(self):
        return ServiceComplaint.objects.select_related("service_request", "customer")

    step_role_refusal = False  # a role without complaints gets 404 like an outsider

    def get_serializer_class(self):
        return ServiceComplaintDetailSerializer if self.action == "retrieve" else ServiceComplaintSerializer

    @extend_schema(request=ComplaintRegisterSerializer, responses={201: ServiceComplaintDetailSerializer})
    def create(self, request, *args, **kwargs):
        _require(request, ServiceComplaint, "add")
        data = self._input(ComplaintRegisterSerializer)
        customer = data.get("customer")
        if is_customer(request.user):
            customer = request.user.customer
        complaint = services.complaint_register(
            actor=request.user, customer=customer, service_request=data.get("service_request"),
            channel=data.get("channel"), category=data["category"], contact_name=data["contact_name"],
            contact_phone=data["contact_phone"], description=data["description"], major=data["major"],
        )
        complaint = self.base_queryset().get(pk=complaint.pk)
        return Response(ServiceComplaintDetailSerializer(complaint, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    def step_queryset(self):
        return self.base_queryset()

    def step_detail(self, pk: int) -> Response:
        complaint = self.base_queryset().get(pk=pk)
        return Response(ServiceComplaintDetailSerializer(complaint, context=self.get_serializer_context()).data)


add_step_actions(ServiceComplaintViewSet, COMPLAINT_STEPS, detail_serializer=ServiceComplaintDetailSerializer)

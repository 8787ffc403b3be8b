"""API v1: follow-ups (回访) and service complaints (服务投诉). Reads through the gate, writes through
feedback.services (a follow-up closes or reopens its request there)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
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
from serviceloop.service.models import ServiceRequest

from . import services
from .choices import (
    SCORE_MAX,
    SCORE_MIN,
    ComplaintStatus,
    FollowUpChannel,
    FollowUpOutcome,
    UnsatisfiedAction,
)
from .models import FollowUp, ServiceComplaint
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


class ServiceComplaintSerializer(serializers.ModelSerializer):
    service_request_number = serializers.CharField(source="service_request.number", read_only=True)

    class Meta:
        model = ServiceComplaint
        fields = ["id", "number", "service_request", "service_request_number", "follow_up", "description", "status", "due_at",
                  "handled_by", "handled_at", "handling_note", "version", "created_at", "updated_at"]
        read_only_fields = fields


class ServiceComplaintDetailSerializer(ServiceComplaintSerializer):
    allowed_steps = serializers.SerializerMethodField()

    class Meta(ServiceComplaintSerializer.Meta):
        fields = [*ServiceComplaintSerializer.Meta.fields, "allowed_steps"]
        read_only_fields = fields

    @allowed_steps_field(COMPLAINT_STEPS)
    def get_allowed_steps(self, obj: ServiceComplaint) -> list[str]:
        return COMPLAINT_STEPS.allowed_keys(self.context["request"].user, obj)


class ComplaintFilter(django_filters.FilterSet):
    service_request = django_filters.ModelChoiceFilter(queryset=visible(ServiceRequest))
    status = django_filters.ChoiceFilter(choices=ComplaintStatus.choices)

    class Meta:
        model = ServiceComplaint
        fields = ["service_request", "status"]


class ServiceComplaintViewSet(GatedReadOnlyViewSet):
    """服务投诉: complaints about the service itself. The service manager handles them (open -> handled)."""

    model = ServiceComplaint
    serializer_class = ServiceComplaintSerializer
    filterset_class = ComplaintFilter
    search_fields = ["number", "service_request__number"]
    ordering_fields = ["created_at", "due_at", "status", "id"]
    ordering = ["-created_at"]

    def base_queryset(self):
        return ServiceComplaint.objects.select_related("service_request")

    step_role_refusal = False  # a role without complaints gets 404 like an outsider

    def get_serializer_class(self):
        return ServiceComplaintDetailSerializer if self.action == "retrieve" else ServiceComplaintSerializer

    def step_queryset(self):
        return self.base_queryset()

    def step_detail(self, pk: int) -> Response:
        complaint = self.base_queryset().get(pk=pk)
        return Response(ServiceComplaintDetailSerializer(complaint, context=self.get_serializer_context()).data)


add_step_actions(ServiceComplaintViewSet, COMPLAINT_STEPS, detail_serializer=ServiceComplaintDetailSerializer)

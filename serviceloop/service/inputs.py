"""API inputs of the service request steps (the bodies of ``POST service-requests/<id>/<step>/``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from serviceloop.accounts.models import Department
from serviceloop.assets.models import Unit
from serviceloop.core.api import GatedRelatedField
from serviceloop.customers.models import Customer

from .choices import ConfirmationChannel, PauseReason, ResolutionConfirmation, ServicePlan

MAX_INT = 2**31 - 1


class _VersionMixin(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_INT,
        help_text=gettext_lazy("The version you read; a request changed since is refused (409)."),
    )


class NoteSerializer(_VersionMixin):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class HandOverSerializer(NoteSerializer):
    from_department = GatedRelatedField(queryset=Department.objects.all(),
                                        help_text=gettext_lazy("The department that received the request."))


class ReviewInputSerializer(_VersionMixin):
    analysis = serializers.CharField(max_length=20_000)
    opinion = serializers.CharField(max_length=20_000)
    decided_plan = serializers.ChoiceField(choices=ServicePlan.choices)
    review_form = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                        help_text=gettext_lazy("E.g. meeting, countersignature, phone review."))
    shown_to_customer = serializers.BooleanField(
        required=False, default=False,
        help_text=gettext_lazy("The customer sees the review's attachments in the portal."))


class ReviewUploadSerializer(ReviewInputSerializer):
    customer_feedback = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False), required=False, max_length=10,
        help_text=gettext_lazy("The customer's written feedback (files), attached to the review."),
    )


class ProposePlanSerializer(NoteSerializer):
    plan = serializers.ChoiceField(
        choices=ServicePlan.choices, required=False,
        help_text=gettext_lazy("Leave out to propose the plan decided in the latest review."),
    )


class ConfirmPlanSerializer(_VersionMixin):
    how = serializers.ChoiceField(
        choices=ConfirmationChannel.choices, required=False,
        help_text=gettext_lazy("Customers: portal (the default for them); staff record a phone confirmation."),
    )
    confirmed_by_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="",
        help_text=gettext_lazy("Who at the customer confirmed (phone)."),
    )


class ConfirmResolutionSerializer(ConfirmPlanSerializer):
    how = serializers.ChoiceField(
        choices=ResolutionConfirmation.choices, required=False,
        help_text=gettext_lazy("Customers: portal (the default for them); staff record a phone confirmation "
                               "or a signed service report."),
    )


class ResolveSerializer(_VersionMixin):
    resolution = serializers.CharField(max_length=20_000)


class ReasonSerializer(_VersionMixin):
    reason = serializers.CharField(max_length=2000)


class CloseSerializer(NoteSerializer):
    no_answer = serializers.BooleanField(
        default=False,
        help_text=gettext_lazy("Close without a follow-up call: the customer has not answered since the resolution."),
    )


class PauseSerializer(NoteSerializer):
    reason = serializers.ChoiceField(choices=PauseReason.choices)


class RejectPlanSerializer(_VersionMixin):
    comment = serializers.CharField(max_length=2000, help_text=gettext_lazy("Why the plan does not suit the customer."))


class LinkCustomerSerializer(_VersionMixin):
    customer = GatedRelatedField(queryset=Customer.objects.all(), help_text=gettext_lazy("The customer record."))
    unit = GatedRelatedField(queryset=Unit.objects.all(), required=False, allow_null=True,
                             help_text=gettext_lazy("The caller's unit, when found."))

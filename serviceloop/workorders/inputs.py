"""API inputs of the work order steps (the bodies of ``POST work-orders/<id>/<step>/`` and friends)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from serviceloop.accounts.models import EngineerProfile, Skill
from serviceloop.assets.models import SalesOrder
from serviceloop.core.api import GatedRelatedField, PlausibleDateField
from serviceloop.service.models import ServiceRequest

from .choices import ChargePayer, WorkResult
from .signatures import MAX_BYTES

TEXT = 5000
REASON = 2000
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2199, 12, 31, tzinfo=dt.UTC)


class VersionInput(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1,
        help_text=gettext_lazy("The version you read; a work order changed since is refused (409)."),
    )


class PlausibleDateTimeField(serializers.DateTimeField):
    """A time between 1900 and 2199 (anything else is a typing error and would overflow time zone math)."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not EARLIEST <= parsed <= LATEST:
            raise serializers.ValidationError(_("Enter a time between 1900 and 2199."), code="range")
        return parsed


class WorkOrderCreateSerializer(serializers.Serializer):
    service_request = GatedRelatedField(queryset=ServiceRequest.objects.all(),
                                        help_text=gettext_lazy("The service request (CSI) to serve on site."))
    description = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, default="")
    work_instruction = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, default="")
    planned_date = PlausibleDateField(required=False, allow_null=True, default=None)
    required_skill = GatedRelatedField(queryset=Skill.objects.all(), required=False, allow_null=True, default=None)


class WorkOrderPlanSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=TEXT, required=False, allow_blank=True)
    work_instruction = serializers.CharField(max_length=TEXT, required=False, allow_blank=True)
    planned_date = PlausibleDateField(required=False, allow_null=True)
    required_skill = GatedRelatedField(queryset=Skill.objects.all(), required=False, allow_null=True)
    chargeable = serializers.BooleanField(required=False)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class WorkOrderAssignSerializer(serializers.Serializer):
    lead = GatedRelatedField(queryset=EngineerProfile.objects.all(), help_text=gettext_lazy("Engineer profile id."))
    helpers = GatedRelatedField(queryset=EngineerProfile.objects.all(), many=True, required=False, default=list)
    planned_date = PlausibleDateField(required=False, allow_null=True)
    work_instruction = serializers.CharField(max_length=TEXT, required=False, allow_blank=True)
    note = serializers.CharField(max_length=REASON, required=False, allow_blank=True, default="")


class WorkOrderNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=REASON, required=False, allow_blank=True, default="")


class WorkOrderNoteVersionSerializer(WorkOrderNoteSerializer, VersionInput):
    pass


class WorkOrderReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON, allow_blank=True)


class WorkOrderContactedSerializer(WorkOrderNoteSerializer):
    at = PlausibleDateTimeField(required=False, allow_null=True, default=None,
                                help_text=gettext_lazy("When the customer was called; now when left out."))


class VisitPositionSerializer(WorkOrderNoteSerializer):
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False,
                                        allow_null=True, default=None)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180,
                                         required=False, allow_null=True, default=None)
    at = PlausibleDateTimeField(required=False, allow_null=True, default=None)


class ProgressNoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=TEXT)
    day = PlausibleDateField(required=False, allow_null=True, default=None)


class TestRecordInputSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=200)
    result = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    passed = serializers.BooleanField()


class LabourInputSerializer(serializers.Serializer):
    day = PlausibleDateField()
    hours = serializers.DecimalField(max_digits=4, decimal_places=2, min_value=0, max_value=24)
    engineer = GatedRelatedField(queryset=EngineerProfile.objects.all(), required=False, allow_null=True,
                                 default=None, help_text=gettext_lazy("Engineer profile id; yourself when left out."))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WorkOrderPartsSerializer(serializers.Serializer):
    parts_used = serializers.CharField(max_length=TEXT, allow_blank=True)


class PhotoUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WorkOrderResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=WorkResult.choices)
    work_done = serializers.CharField(max_length=TEXT, allow_blank=True)
    escalation_plan = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, default="")
    parts_used = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, allow_null=True,
                                       default=None)


class WorkOrderRecordSerializer(VersionInput):
    """The one record of the engineer on site (multipart when it carries a photo)."""

    note = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, default="")
    test_item = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    test_result = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    test_passed = serializers.BooleanField(required=False, allow_null=True, default=None)
    hours = serializers.DecimalField(max_digits=4, decimal_places=2, min_value=0, max_value=24, required=False,
                                     allow_null=True, default=None)
    parts_used = serializers.CharField(max_length=TEXT, required=False, allow_blank=True, allow_null=True,
                                       default=None)
    photo = serializers.FileField(required=False, allow_null=True, default=None, use_url=False)
    finish = serializers.BooleanField(required=False, default=False,
                                      help_text=gettext_lazy("The work is done: record the result too."))
    result = serializers.ChoiceField(choices=WorkResult.choices, required=False, allow_blank=True, default="")


class EscalationPlanSerializer(serializers.Serializer):
    plan = serializers.CharField(max_length=TEXT, allow_blank=True)


class LinkSalesOrderSerializer(serializers.Serializer):
    sales_order = GatedRelatedField(queryset=SalesOrder.objects.all(), allow_null=True,
                                    help_text=gettext_lazy("The SO that bills the fees; null unlinks."))


# ---------------------------------------------------------------- help requests and service reports

class HelpApproveSerializer(WorkOrderNoteSerializer):
    hq_engineer = GatedRelatedField(queryset=EngineerProfile.objects.all(),
                                    help_text=gettext_lazy("Engineer profile id of the headquarters engineer."))


class SupportConfirmSerializer(serializers.Serializer):
    support_given = serializers.CharField(max_length=TEXT, allow_blank=True)
    rating = serializers.IntegerField(min_value=1, max_value=5)
    note = serializers.CharField(max_length=REASON, required=False, allow_blank=True, default="")


class ReportEditSerializer(serializers.Serializer):
    fault_description = serializers.CharField(max_length=TEXT, required=False, allow_blank=True)
    work_done = serializers.CharField(max_length=TEXT, required=False, allow_blank=True)
    parts_used = serializers.CharField(max_length=TEXT, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class ServiceReportSignSerializer(serializers.Serializer):
    signature = serializers.CharField(
        max_length=(MAX_BYTES * 4) // 3 + 100, trim_whitespace=False,
        help_text=gettext_lazy("The signature pad's PNG as a data URL: data:image/png;base64,…"),
    )
    signer_name = serializers.CharField(max_length=100, allow_blank=True)
    satisfied = serializers.BooleanField()
    unsatisfied_reason = serializers.CharField(max_length=REASON, required=False, allow_blank=True, default="")


class HelpChargeSerializer(VersionInput):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    basis = serializers.CharField(max_length=REASON, allow_blank=True)
    payer = serializers.ChoiceField(choices=ChargePayer.choices)

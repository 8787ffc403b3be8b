"""API inputs of the feedback steps (and of registering a complaint)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from serviceloop.accounts.models import Department
from serviceloop.core.api import GatedRelatedField, RecordRelatedField
from serviceloop.customers.models import Customer
from serviceloop.service.models import ServiceRequest

from .choices import ComplaintCategory, ComplaintChannel, RevisitChannel


def _version():
    return serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1,
        help_text=_("The version you read; a complaint changed since is refused (409)."),
    )


def _text(help_text, *, required=True):
    return serializers.CharField(max_length=4000, required=required, allow_blank=not required,
                                 default="" if not required else serializers.empty, help_text=help_text)


class ComplaintSendSerializer(serializers.Serializer):
    departments = serializers.ListField(
        child=RecordRelatedField(queryset=Department.objects.all()), min_length=1, max_length=20,
        help_text=_("The ids of the departments responsible."))
    note = _text(_("A note to the departments."), required=False)
    version = _version()


class ComplaintAnalyseSerializer(serializers.Serializer):
    cause = _text(_("The cause your department found."))
    improvement = _text(_("How your department will improve."))
    version = _version()


class ComplaintEscalateSerializer(serializers.Serializer):
    reason = _text(_("Why the complaint is major."))
    version = _version()


class ComplaintHandleSerializer(serializers.Serializer):
    note = _text(_("The handling measures."))
    version = _version()


class ComplaintRevisitSerializer(serializers.Serializer):
    satisfied = serializers.BooleanField(help_text=_("Is the customer satisfied with the measures?"))
    person = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                   help_text=_("The person reached (staff)."))
    comments = _text(_("Required when not satisfied."), required=False)
    channel = serializers.ChoiceField(choices=RevisitChannel.choices, required=False,
                                      help_text=_("Default: a phone call for staff, the portal for customers."))
    version = _version()


class ComplaintCloseSerializer(serializers.Serializer):
    note = _text(_("A closing note."), required=False)
    version = _version()


class ComplaintRegisterSerializer(serializers.Serializer):
    """Register a service complaint: the customer (staff; a customer registers their own), optionally the request."""

    customer = GatedRelatedField(queryset=Customer.objects.all(), required=False,
                                 help_text=_("The customer's id (staff; a customer registers their own)."))
    service_request = GatedRelatedField(queryset=ServiceRequest.objects.all(), required=False,
                                        help_text=_("The request the complaint is about (optional)."))
    channel = serializers.ChoiceField(choices=ComplaintChannel.choices, required=False)
    category = serializers.ChoiceField(choices=ComplaintCategory.choices, required=False,
                                       default=ComplaintCategory.OTHER)
    contact_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    description = _text(_("The complaint, in the customer's words."))
    major = serializers.BooleanField(required=False, default=False,
                                     help_text=_("A key account or a serious incident (staff)."))

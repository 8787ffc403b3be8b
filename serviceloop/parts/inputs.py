"""API inputs of the spare parts steps (so steps.py names them without importing api.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from serviceloop.core.api import GatedRelatedField

from .choices import WAREHOUSES
from .models import Location

VERSION_HELP = _("The version you read; a record changed since is refused (409).")


def _version() -> serializers.IntegerField:
    return serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1, help_text=VERSION_HELP)


class DecisionSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    quantity = serializers.IntegerField(min_value=0, max_value=1_000_000)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ApproveSerializer(serializers.Serializer):
    source = GatedRelatedField(queryset=Location.objects.filter(kind__in=WAREHOUSES, active=True),
                               help_text=_("The warehouse the parts are issued from."))
    decisions = DecisionSerializer(many=True, help_text=_("One decision per line: the approved quantity (0 refuses "
                                                          "the line) and a reason when fewer than asked."))
    version = _version()


class RefuseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)
    version = _version()


class IssueSerializer(serializers.Serializer):
    serials = serializers.DictField(child=serializers.ListField(child=serializers.CharField(max_length=60),
                                                                max_length=10_000),
                                    required=False, default=dict,
                                    help_text=_("Line id -> the unique IDs issued (tracked parts; default: oldest)."))
    version = _version()

    def validate_serials(self, value):
        out = {}
        for key, serials in value.items():
            try:
                out[int(key)] = serials
            except (TypeError, ValueError):
                raise serializers.ValidationError(_("Keys are line ids.")) from None
        return out


class ConfirmSerializer(serializers.Serializer):
    version = _version()


class FitSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000, default=1)
    serial = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    old_serial = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    version = _version()


class OldPartReceiveSerializer(serializers.Serializer):
    serial = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    version = _version()

"""API inputs of the feedback steps."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class ComplaintHandleSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000, help_text=_("How the complaint was handled."))
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1,
        help_text=_("The version you read; a complaint changed since is refused (409)."),
    )

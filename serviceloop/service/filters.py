"""Filters of the request lists (desk queue and all requests)."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from serviceloop.accounts.models import Branch
from serviceloop.core.filters import StyledFilterSet
from serviceloop.core.scoping import is_customer
from serviceloop.customers.models import Customer

from .choices import Priority, RequestChannel, RequestStatus, RequestType, Severity
from .models import ServiceRequest

BREACH_CHOICES = [("1", _("breached")), ("0", _("within target"))]


class RequestFilter(StyledFilterSet):
    status = django_filters.ChoiceFilter(label=_("status"), choices=RequestStatus.choices, empty_label=_("all"))
    priority = django_filters.ChoiceFilter(label=_("priority"), choices=Priority.choices, empty_label=_("all"))
    severity = django_filters.ChoiceFilter(label=_("severity"), choices=Severity.choices, empty_label=_("all"))
    request_type = django_filters.ChoiceFilter(label=_("request type"), choices=RequestType.choices,
                                               empty_label=_("all"))
    channel = django_filters.ChoiceFilter(label=_("channel"), choices=RequestChannel.choices, empty_label=_("all"))
    breached = django_filters.ChoiceFilter(label=_("SLA"), choices=BREACH_CHOICES, empty_label=_("all"),
                                           method="filter_breached")
    branch = django_filters.ModelChoiceFilter(label=_("branch"), queryset=Branch.objects.all(), empty_label=_("all"),
                                              method="filter_branch")

    class Meta:
        model = ServiceRequest
        fields = ["status", "priority", "severity", "request_type", "channel", "breached", "branch"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        if user is not None and (is_customer(user) or getattr(user, "branch_id", None)):
            # scoped users see one branch (or their own company) anyway
            self.filters.pop("branch", None)
            self.form.fields.pop("branch", None)

    def filter_breached(self, queryset, name, value):
        return queryset.filter(sla_breached=value == "1")

    def filter_branch(self, queryset, name, value):
        # EXISTS on the customer: the database walks requests in queue order and checks each one
        return queryset.filter(Exists(Customer.objects.filter(pk=OuterRef("customer_id"), branch=value)))


class QueueFilter(RequestFilter):
    """The desk queue holds open requests only: the status filter offers the open states."""

    status = django_filters.ChoiceFilter(
        label=_("status"), empty_label=_("all"),
        choices=[(s.value, s.label) for s in RequestStatus if s not in (
            RequestStatus.RESOLVED, RequestStatus.CLOSED, RequestStatus.CANCELLED)],
    )

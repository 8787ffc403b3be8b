"""API v1: customers, sites, contacts. Reads through the gate, writes through customers.services."""

from __future__ import annotations

import django_filters

from serviceloop.accounts.models import Branch
from serviceloop.core.api import GatedModelViewSet, GatedRelatedField, VersionedModelSerializer, visible

from . import selectors, services
from .filters import CustomerFilter
from .models import Contact, Customer, Site

TIMESTAMPS = ["created_at", "updated_at"]


class CustomerSerializer(VersionedModelSerializer):
    branch = GatedRelatedField(queryset=Branch.objects.all())

    class Meta:
        model = Customer
        fields = ["id", "code", "name", "level", "branch", "address", "phone", "note", "version", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


class CustomerViewSet(GatedModelViewSet):
    """客户. Search: code prefix, name, phone prefix."""

    model = Customer
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    search_fields = ["code", "name", "phone"]
    search_function = staticmethod(selectors.customer_search)
    ordering_fields = ["code", "name", "level", "updated_at"]
    ordering = ["code"]
    save_service = staticmethod(services.customer_save)
    scope_error_field = "branch"

    def base_queryset(self):
        return Customer.objects.select_related("branch")


class SiteFilter(django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(queryset=visible(Customer))

    class Meta:
        model = Site
        fields = ["customer", "city"]


class SiteSerializer(VersionedModelSerializer):
    customer = GatedRelatedField(queryset=Customer.objects.all())

    class Meta:
        model = Site
        fields = ["id", "customer", "name", "city", "address", "latitude", "longitude", "version", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


class SiteViewSet(GatedModelViewSet):
    """现场: locations of a customer."""

    model = Site
    serializer_class = SiteSerializer
    filterset_class = SiteFilter
    search_fields = ["name", "city", "address"]
    ordering_fields = ["name", "city", "updated_at"]
    ordering = ["customer_id", "name"]
    save_service = staticmethod(services.site_save)
    scope_error_field = "customer"


class ContactFilter(django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(queryset=visible(Customer))
    site = django_filters.ModelChoiceFilter(queryset=visible(Site))

    class Meta:
        model = Contact
        fields = ["customer", "site", "is_primary"]


class ContactSerializer(VersionedModelSerializer):
    customer = GatedRelatedField(queryset=Customer.objects.all())
    site = GatedRelatedField(queryset=Site.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Contact
        fields = ["id", "customer", "site", "name", "title", "phone", "email", "is_primary", "version", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS


class ContactViewSet(GatedModelViewSet):
    """联系人: people at a customer."""

    model = Contact
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    search_fields = ["name", "phone", "email"]
    ordering_fields = ["name", "updated_at"]
    ordering = ["customer_id", "-is_primary", "name"]
    save_service = staticmethod(services.contact_save)
    scope_error_field = "customer"

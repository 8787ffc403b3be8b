from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from serviceloop.core import registry
from serviceloop.core.access import get_for_user
from serviceloop.core.generic import GatedDeleteView, GatedDetailView, GatedEditView, GatedListView
from serviceloop.core.listing import Column, ListSpec

from . import selectors, services
from .filters import CustomerFilter
from .forms import ContactForm, CustomerForm, SiteForm
from .models import Contact, Customer, Site

CUSTOMER_LIST = ListSpec(
    columns=[
        Column("code", _("customer code"), lambda c: c.code, sort="code"),
        Column("name", _("customer name"), lambda c: c.name, sort="name"),
        Column("level", _("customer level"), lambda c: c.get_level_display(), sort="level"),
        Column("branch", _("branch"), lambda c: c.branch.name, sort="branch__code"),
        Column("phone", _("phone"), lambda c: c.phone),
        Column("address", _("address"), lambda c: c.address),
    ],
    default_sort="code",
    search=selectors.customer_search,
    filterset_class=CustomerFilter,
)


class CustomerListView(GatedListView):
    model = Customer
    spec = CUSTOMER_LIST
    title = _("Customers")
    create_url_name = "customers:create"
    import_url_name = "imports:customers"
    export_name = "customers"

    def base_queryset(self):
        return Customer.objects.select_related("branch")


class CustomerDetailView(GatedDetailView):
    model = Customer
    template_name = "customers/customer_detail.html"

    def base_queryset(self):
        return Customer.objects.select_related("branch")

    def get_context(self, obj: Customer) -> dict[str, Any]:
        user = self.request.user
        return {
            "sites": selectors.sites_of(user, obj),
            "contacts": selectors.contacts_of(user, obj),
            **registry.panel_context(registry.CUSTOMER_PAGE, user, obj),  # units, contracts, orders (assets)
        }


class CustomerEditView(GatedEditView):
    model = Customer
    form_class = CustomerForm
    title_create = _("New customer")
    title_edit = _("Edit customer")

    @staticmethod
    def save(*, user, instance, form):
        return services.customer_save(user=user, instance=instance, expected_version=form.expected_version)


class CustomerDeleteView(GatedDeleteView):
    model = Customer
    success_url_name = "customers:list"


class _ChildEditView(GatedEditView):
    """Sites and contacts are edited in the context of their customer."""

    def get_instance(self, request, pk=None):
        if pk is None:
            self.customer = get_for_user(request, Customer, "change", pk=self.kwargs["customer_pk"])
            instance = super().get_instance(request, None)
            instance.customer = self.customer
            return instance
        instance = super().get_instance(request, pk)
        self.customer = instance.customer
        return instance

    def form_kwargs(self, request, instance):
        return {"instance": instance, "user": request.user, "customer": self.customer}

    def success_url(self, obj):
        return reverse("customers:detail", args=[obj.customer_id])

    def extra_context(self, instance):
        return {"parent": self.customer}


class SiteEditView(_ChildEditView):
    model = Site
    form_class = SiteForm
    title_create = _("New site")
    title_edit = _("Edit site")

    @staticmethod
    def save(*, user, instance, form):
        return services.site_save(user=user, instance=instance, expected_version=form.expected_version)


class ContactEditView(_ChildEditView):
    model = Contact
    form_class = ContactForm
    title_create = _("New contact")
    title_edit = _("Edit contact")

    @staticmethod
    def save(*, user, instance, form):
        return services.contact_save(user=user, instance=instance, expected_version=form.expected_version)



from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from serviceloop.core.admin import ServiceLoopHistoryAdmin

from . import services
from .models import Contact, Customer, Site


@admin.register(Customer)
class CustomerAdmin(ServiceLoopHistoryAdmin):
    list_display = ("code", "name", "level", "branch", "phone")
    list_filter = ("level", "branch")
    list_select_related = ("branch",)
    search_fields = ("^code", "name", "^phone")
    autocomplete_fields = ("branch",)
    service = services.customer_save


@admin.register(Site)
class SiteAdmin(ServiceLoopHistoryAdmin):
    list_display = ("name", "customer", "city", "address")
    list_filter = ("customer__branch",)
    list_select_related = ("customer",)
    search_fields = ("name", "city", "customer__name", "^customer__code")
    autocomplete_fields = ("customer",)
    service = services.site_save


class ContactAdminForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ("customer", "site", "name", "title", "phone", "email", "is_primary")

    def clean(self):
        cleaned = super().clean()
        site, customer = cleaned.get("site"), cleaned.get("customer")
        if site is not None and customer is not None and site.customer_id != customer.pk:
            self.add_error("site", _("This site belongs to another customer."))
        return cleaned


@admin.register(Contact)
class ContactAdmin(ServiceLoopHistoryAdmin):
    form = ContactAdminForm
    list_display = ("name", "customer", "title", "phone", "email", "is_primary")
    list_filter = ("is_primary", "customer__branch")
    list_select_related = ("customer",)
    search_fields = ("name", "^phone", "email", "customer__name", "^customer__code")
    autocomplete_fields = ("customer", "site")
    service = services.contact_save

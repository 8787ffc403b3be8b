from __future__ import annotations

from typing import Any

from django import forms

from serviceloop.accounts.models import Branch
from serviceloop.core.forms import VersionedModelForm

from .models import Contact, Customer, Site


class CustomerForm(VersionedModelForm):
    class Meta:
        model = Customer
        fields = ["code", "name", "level", "branch", "address", "phone", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = Branch.objects.restrict(user, "view") if user else Branch.objects.none()
        # branch staff create customers in their own region only
        if user is not None and getattr(user, "branch_id", None) and not user.branch.is_headquarters:
            self.fields["branch"].queryset = Branch.objects.filter(pk=user.branch_id)
            self.fields["branch"].initial = user.branch_id

    def clean_code(self) -> str:
        # codes are stored upper-case: check uniqueness on what will be stored, next to the field
        return (self.cleaned_data.get("code") or "").strip().upper()


class SiteForm(VersionedModelForm):
    class Meta:
        model = Site
        fields = ["name", "city", "address", "latitude", "longitude"]

    def __init__(self, *args: Any, user: Any = None, customer: Customer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if customer is not None:
            self.instance.customer = customer


class ContactForm(VersionedModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "phone", "email", "site", "is_primary"]

    def __init__(self, *args: Any, user: Any = None, customer: Customer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if customer is not None:
            self.instance.customer = customer
        owner = customer or (self.instance.customer if self.instance.customer_id else None)
        self.fields["site"].queryset = Site.objects.filter(customer=owner) if owner else Site.objects.none()

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import VersionedModelForm
from serviceloop.customers.models import Customer, Site

from .models import ProductModel, SalesOrder, SalesOrderLine, ServiceContract, Unit

MAX_LINES = 50


def _customer_choices(user: Any):
    return Customer.objects.restrict(user, "view").select_related("branch").order_by("code")


def _chosen_customer_id(form: forms.BaseForm, instance: Any) -> int | None:
    """The customer the form is about: posted, given as initial, or the record's own."""
    raw = None
    if form.is_bound:
        raw = form.data.get(form.add_prefix("customer"))
    if raw in (None, ""):
        raw = form.initial.get("customer")
    if raw in (None, "") and getattr(instance, "customer_id", None):
        raw = instance.customer_id
    try:
        return int(getattr(raw, "pk", raw))
    except (TypeError, ValueError):
        return None


class ProductModelForm(VersionedModelForm):
    class Meta:
        model = ProductModel
        fields = ["code", "name", "service_class", "warranty_months", "description", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class UnitForm(VersionedModelForm):
    class Meta:
        model = Unit
        fields = ["serial_number", "product_model", "customer", "site", "so_line", "status",
                  "ship_date", "install_date", "acceptance_date", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_model"].queryset = ProductModel.objects.restrict(user, "view").filter(active=True) | (
            ProductModel.objects.filter(pk=self.instance.product_model_id) if self.instance.product_model_id
            else ProductModel.objects.none()
        )
        self.fields["customer"].queryset = _customer_choices(user)
        customer_id = _chosen_customer_id(self, self.instance)
        sites = Site.objects.restrict(user, "view").select_related("customer")
        lines = SalesOrderLine.objects.restrict(user, "view").select_related("order", "product_model")
        if customer_id:
            sites = sites.filter(customer_id=customer_id)
            lines = lines.filter(order__customer_id=customer_id)
        else:
            sites, lines = sites.none(), lines.none()
        self.fields["site"].queryset = sites
        self.fields["site"].help_text = _("Choose the customer first.")
        self.fields["so_line"].queryset = lines.order_by("-order__order_date", "order_id", "line_no")
        self.fields["so_line"].label_from_instance = lambda line: (
            f"{line.order.number}/{line.line_no} · {line.product_model.code} × {line.quantity}"
        )
        # choosing a customer reloads the site and SO-line choices (HTMX)
        self.fields["customer"].widget.attrs.update({
            "hx-get": reverse("assets:unit_create"), "hx-trigger": "change", "hx-select": "#id_site",
            "hx-target": "#id_site", "hx-swap": "outerHTML", "hx-select-oob": "#id_so_line",
            "hx-include": "this",
        })


class SalesOrderForm(VersionedModelForm):
    class Meta:
        model = SalesOrder
        fields = ["number", "customer", "order_date", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["number"].required = False
        self.fields["number"].help_text = _("Left empty, a number is assigned.")
        self.fields["customer"].queryset = _customer_choices(user)
        data = args[0] if args else kwargs.get("data")
        initial = [
            {"id": line.pk, "product_model": line.product_model_id, "quantity": line.quantity,
             "serial_numbers": line.serial_numbers}
            for line in (self.instance.lines.all() if self.instance.pk else [])
        ]
        self.lines = SalesOrderLineFormSet(data, prefix="lines", initial=initial, form_kwargs={"user": user})

    def is_valid(self) -> bool:
        header_ok = super().is_valid()
        lines_ok = self.lines.is_valid()
        return header_ok and lines_ok

    def line_data(self) -> list[dict[str, Any]]:
        """The filled, not deleted lines, in order."""
        out = []
        for form in self.lines.forms:
            cleaned = getattr(form, "cleaned_data", None) or {}
            if not cleaned or cleaned.get("DELETE") or not cleaned.get("product_model"):
                continue
            line = {k: cleaned[k] for k in ("product_model", "quantity", "serial_numbers")}
            if cleaned.get("id"):
                line["id"] = cleaned["id"]  # an existing line: updated in place, its units stay linked
            out.append(line)
        return out


class SalesOrderLineForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    product_model = forms.ModelChoiceField(label=_("product model"), queryset=ProductModel.objects.none())
    quantity = forms.IntegerField(label=_("quantity"), min_value=1, max_value=100000)
    serial_numbers = forms.CharField(
        label=_("serial numbers"), required=False, max_length=20000,
        widget=forms.Textarea(attrs={"rows": 1}), help_text=_("One per line or separated by commas."),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product_model"].queryset = ProductModel.objects.restrict(user, "view")
        for name, field in self.fields.items():
            if name == "id":
                continue
            field.widget.attrs.setdefault("class", "form-select form-select-sm" if name == "product_model"
                                          else "form-control form-control-sm")


class _BaseLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        filled = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not filled:
            raise forms.ValidationError(_("Enter at least one line."))


SalesOrderLineFormSet = forms.formset_factory(
    SalesOrderLineForm, formset=_BaseLineFormSet, extra=3, can_delete=True, max_num=MAX_LINES,
    validate_max=True,
)


class ServiceContractForm(VersionedModelForm):
    class Meta:
        model = ServiceContract
        fields = ["number", "customer", "title", "start_date", "end_date", "sla_level", "price",
                  "covers_parts", "covers_labour", "covers_onsite", "covers_preventive", "units", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2}), "units": forms.SelectMultiple(attrs={"size": 8})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["number"].required = False
        self.fields["number"].help_text = _("Left empty, a number is assigned.")
        self.fields["customer"].queryset = _customer_choices(user)
        customer_id = _chosen_customer_id(self, self.instance)
        units = Unit.objects.restrict(user, "view").select_related("product_model")
        self.fields["units"].queryset = units.filter(customer_id=customer_id) if customer_id else units.none()
        self.fields["units"].required = False
        self.fields["units"].help_text = _("Only the customer's own units can be chosen.")
        self.fields["units"].label_from_instance = lambda u: f"{u.serial_number} · {u.product_model.code}"
        self.fields["customer"].widget.attrs.update({
            "hx-get": reverse("assets:contract_create"), "hx-trigger": "change", "hx-select": "#id_units",
            "hx-target": "#id_units", "hx-swap": "outerHTML", "hx-include": "this",
        })

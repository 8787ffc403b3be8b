"""Forms of the spare parts pages. Quantities are whole pieces; the services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.assets.models import ProductModel
from serviceloop.core.forms import VersionedModelForm

from .choices import WAREHOUSES, LocationKind, MoveKind
from .models import Location, Part, Requisition

NEW_LINES = 5
CONTROL = {"class": "form-control"}
SELECT = {"class": "form-select"}


def _qty(label: Any, *, required: bool = True, min_value: int = 1, initial: Any = None) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=min_value, max_value=1_000_000, required=required,
                              initial=initial, widget=forms.NumberInput(attrs={**CONTROL, "inputmode": "numeric"}))


class PartForm(VersionedModelForm):
    compatible_models = forms.ModelMultipleChoiceField(
        label=_("compatible product models"), required=False,
        queryset=ProductModel.objects.filter(active=True).order_by("code"),
        widget=forms.SelectMultiple(attrs={"size": 6}))

    class Meta:
        model = Part
        fields = ["number", "name", "specification", "unit_of_measure", "category", "tracking", "standard_cost",
                  "sale_price", "supplier", "lead_time_days", "compatible_models", "active"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class LocationForm(VersionedModelForm):
    class Meta:
        model = Location
        fields = ["code", "name", "kind", "branch", "engineer", "active"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        self.fields["engineer"].queryset = get_user_model().objects.filter(
            groups__name="field_engineer", is_active=True).order_by("username")


class ReceiptForm(forms.Form):
    part = forms.ModelChoiceField(label=_("spare part"), queryset=Part.objects.filter(active=True),
                                  widget=forms.Select(attrs=SELECT))
    location = forms.ModelChoiceField(label=_("stock location"), widget=forms.Select(attrs=SELECT),
                                      queryset=Location.objects.filter(kind__in=WAREHOUSES, active=True))
    quantity = _qty(_("quantity"))
    serials = forms.CharField(label=_("unique IDs"), required=False, max_length=8000,
                              widget=forms.Textarea(attrs={**CONTROL, "rows": 3}),
                              help_text=_("For parts tracked one by one: one unique ID per piece."))
    note = forms.CharField(label=_("note"), required=False, max_length=500, widget=forms.TextInput(attrs=CONTROL))

    def __init__(self, *args: Any, locations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if locations is not None:
            self.fields["location"].queryset = locations


class TransferForm(forms.Form):
    KINDS = [(MoveKind.TRANSFER, MoveKind.TRANSFER.label), (MoveKind.SCRAP, MoveKind.SCRAP.label),
             (MoveKind.SUPPLIER_RETURN, MoveKind.SUPPLIER_RETURN.label)]
    kind = forms.ChoiceField(label=_("kind"), choices=KINDS, widget=forms.Select(attrs=SELECT))
    part = forms.ModelChoiceField(label=_("spare part"), queryset=Part.objects.all(), widget=forms.Select(attrs=SELECT))
    from_location = forms.ModelChoiceField(label=_("from"), queryset=Location.objects.filter(active=True),
                                           widget=forms.Select(attrs=SELECT))
    to_location = forms.ModelChoiceField(label=_("to"), queryset=Location.objects.filter(active=True),
                                         required=False, widget=forms.Select(attrs=SELECT),
                                         help_text=_("Empty for a return to the supplier."))
    quantity = _qty(_("quantity"))
    serials = forms.CharField(label=_("unique IDs"), required=False, max_length=8000,
                              widget=forms.Textarea(attrs={**CONTROL, "rows": 2}))
    note = forms.CharField(label=_("note"), required=False, max_length=500, widget=forms.TextInput(attrs=CONTROL))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind, target = data.get("kind"), data.get("to_location")
        if kind == MoveKind.SUPPLIER_RETURN:
            data["to_location"] = None
        elif target is None:
            self.add_error("to_location", _("Choose where the parts go."))
        elif kind == MoveKind.SCRAP and target.kind != LocationKind.SCRAP:
            self.add_error("to_location", _("Scrapped parts go to a scrap location."))
        return data


class ReverseForm(forms.Form):
    note = forms.CharField(label=_("why"), max_length=500, widget=forms.TextInput(attrs={**CONTROL, "autofocus": True}))


class RequisitionForm(forms.Form):
    """备件申领单 from a work order: the purpose and up to five parts with their quantities."""

    purpose = forms.CharField(label=_("purpose"), max_length=4000,
                              widget=forms.Textarea(attrs={**CONTROL, "rows": 2, "autofocus": True}),
                              help_text=_("The fault and what the parts are for."))

    def __init__(self, *args: Any, parts: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queryset = parts if parts is not None else Part.objects.filter(active=True)
        for n in range(1, NEW_LINES + 1):
            self.fields[f"part_{n}"] = forms.ModelChoiceField(
                label=_("spare part"), queryset=queryset, required=n == 1, widget=forms.Select(attrs=SELECT))
            self.fields[f"quantity_{n}"] = _qty(_("quantity"), required=False, initial=1 if n == 1 else None)

    def line_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"part_{n}"], self[f"quantity_{n}"]) for n in range(1, NEW_LINES + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lines = []
        for n in range(1, NEW_LINES + 1):
            part, quantity = data.get(f"part_{n}"), data.get(f"quantity_{n}")
            if part is None and quantity in (None, ""):
                continue
            if part is None:
                self.add_error(f"part_{n}", _("Choose the part."))
            elif quantity in (None, ""):
                self.add_error(f"quantity_{n}", _("How many?"))
            else:
                lines.append((part, quantity))
        data["lines"] = lines
        return data


class ApproveForm(forms.Form):
    """Approve each line in full or in part (a reason for what is cut), from one warehouse."""

    source = forms.ModelChoiceField(label=_("issue from"), queryset=Location.objects.none(),
                                    widget=forms.Select(attrs=SELECT))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, requisition: Requisition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = Location.objects.filter(kind__in=WAREHOUSES, active=True)
        self.requisition_lines = list(requisition.lines.select_related("part"))
        for line in self.requisition_lines:
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=f"{line.part.number} {line.part.name}", min_value=0, max_value=line.quantity,
                initial=line.quantity, widget=forms.NumberInput(attrs={**CONTROL, "inputmode": "numeric"}),
                help_text=_("asked: %(n)s") % {"n": line.quantity})
            self.fields[f"reason_{line.pk}"] = forms.CharField(
                label=_("%(part)s: reason when fewer") % {"part": line.part.number}, required=False, max_length=500, widget=forms.TextInput(attrs=CONTROL))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["decisions"] = [{"line": line.pk, "quantity": data.get(f"qty_{line.pk}"),
                              "reason": data.get(f"reason_{line.pk}", "")} for line in self.requisition_lines
                             if data.get(f"qty_{line.pk}") is not None]
        return data


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("reason for refusal"), max_length=4000,
                             widget=forms.Textarea(attrs={**CONTROL, "rows": 3, "autofocus": True}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class IssueForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, requisition: Requisition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tracked = [line for line in requisition.lines.select_related("part")
                        if line.quantity_approved and line.part.serial_tracked]
        for line in self.tracked:
            self.fields[f"serials_{line.pk}"] = forms.CharField(
                label=_("unique IDs of %(part)s") % {"part": line.part.number}, required=False, max_length=8000,
                widget=forms.TextInput(attrs=CONTROL),
                help_text=_("Scan %(n)s; empty: the oldest on the shelf.") % {"n": line.quantity_approved})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["serials"] = {line.pk: data.get(f"serials_{line.pk}", "") for line in self.tracked}
        return data


class FitForm(forms.Form):
    line = forms.TypedChoiceField(label=_("spare part"), coerce=int, widget=forms.Select(attrs=SELECT))
    quantity = _qty(_("quantity"), initial=1)
    serial = forms.CharField(label=_("unique ID fitted"), required=False, max_length=60,
                             widget=forms.TextInput(attrs={**CONTROL, "autocomplete": "off"}),
                             help_text=_("Scan or type it (parts tracked one by one)."))
    old_serial = forms.CharField(label=_("unique ID of the old part"), required=False, max_length=60,
                                 widget=forms.TextInput(attrs={**CONTROL, "autocomplete": "off"}))
    note = forms.CharField(label=_("note"), required=False, max_length=500, widget=forms.TextInput(attrs=CONTROL))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, requisition: Requisition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [
            (line.pk, f"{line.part.number} {line.part.name} ({line.to_fit})")
            for line in requisition.lines.select_related("part") if line.to_fit > 0]


class OldPartReceiveForm(forms.Form):
    serial = forms.CharField(label=_("unique ID read on the old part"), required=False, max_length=60,
                             widget=forms.TextInput(attrs={**CONTROL, "autofocus": True}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

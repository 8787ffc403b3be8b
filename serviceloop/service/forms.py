"""Forms of the service desk, the portal and the QR intake. They parse input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.accounts.models import Department
from serviceloop.assets.models import SalesOrder, Unit
from serviceloop.customers.models import Customer

from .choices import ConfirmationChannel, PauseReason, RequestChannel, RequestType, ServicePlan, Severity
from .models import SlaPolicy

DESK_CHANNELS = [RequestChannel.PHONE, RequestChannel.WALK_IN, RequestChannel.EMAIL, RequestChannel.OTHER_DEPT]
CUSTOMER_TYPES = [RequestType.FAULT_REPAIR, RequestType.CONSULTATION, RequestType.COMPLAINT,
                  RequestType.PARTS_ONLY, RequestType.TRAINING, RequestType.MAINTENANCE]


def style_form(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
            continue
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")


class IntakeForm(forms.Form):
    """Desk intake (phone, walk-in, e-mail, hand-over). For a known unit: pick it, type the title, save."""

    unit = forms.IntegerField(widget=forms.HiddenInput, required=False)
    customer = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(label=_("What is wrong (short title)"), max_length=200)
    request_type = forms.ChoiceField(label=_("request type"), choices=RequestType.choices,
                                     initial=RequestType.FAULT_REPAIR)
    severity = forms.ChoiceField(label=_("severity"), choices=Severity.choices, initial=Severity.GENERAL)
    contact_name = forms.CharField(label=_("contact name"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=30, required=False)
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    channel = forms.ChoiceField(label=_("channel"), choices=[(c.value, c.label) for c in DESK_CHANNELS],
                                initial=RequestChannel.PHONE)
    handed_over_from = forms.ModelChoiceField(
        label=_("handed over from"), queryset=Department.objects.all(), required=False,
        help_text=_("Fill in when another department received the request."),
    )
    sales_order_number = forms.CharField(
        label=_("sales order (SO#)"), max_length=40, required=False,
        help_text=_("Needed for a quality complaint; taken from the unit when it was sold on one."),
    )
    caller_company = forms.CharField(
        label=_("caller's company (not in the system yet)"), max_length=200, required=False,
        help_text=_("Only when the search finds neither the unit nor the customer: the request is logged "
                    "without a customer record and linked to it later."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        style_form(self)
        self.fields["title"].widget.attrs.update({"autofocus": True, "autocomplete": "off"})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        unit_id, customer_id = data.get("unit"), data.get("customer")
        data["unit_obj"] = data["customer_obj"] = data["sales_order_obj"] = None
        if unit_id:
            unit = Unit.objects.restrict(self.user, "view").select_related("customer", "site", "so_line__order") \
                .filter(pk=unit_id).first()
            if unit is None:
                self.add_error(None, _("Choose the unit again: it was not found."))
            else:
                data["unit_obj"] = unit
                if unit.customer_id:
                    data["customer_obj"] = unit.customer
        if data["customer_obj"] is None and customer_id:
            data["customer_obj"] = Customer.objects.restrict(self.user, "view").filter(pk=customer_id).first()
        caller = (data.get("caller_company") or "").strip()
        if data["customer_obj"] is not None:
            data["caller_company"] = ""
        elif caller:
            if not ((data.get("contact_name") or "").strip() or (data.get("contact_phone") or "").strip()):
                self.add_error("contact_phone", _("Write down the caller's name or phone, so the desk can call back."))
        elif not self.errors:
            self.add_error(None, _("Find the unit or the customer first, or write down the caller's company."))
        number = (data.get("sales_order_number") or "").strip()
        if number and data["customer_obj"] is not None:
            order = SalesOrder.objects.restrict(self.user, "view").filter(number__iexact=number).first()
            if order is None:
                self.add_error("sales_order_number", _("No sales order with this number."))
            data["sales_order_obj"] = order
        return data


class PortalRequestForm(forms.Form):
    """A customer reports a fault: in the portal (choosing one of their units) or from the unit's QR code."""

    unit = forms.ModelChoiceField(label=_("unit"), queryset=Unit.objects.none(), required=False,
                                  empty_label=_("(no particular unit)"))
    request_type = forms.ChoiceField(label=_("request type"), choices=[(t.value, t.label) for t in CUSTOMER_TYPES],
                                     initial=RequestType.FAULT_REPAIR)
    title = forms.CharField(label=_("What is wrong (short title)"), max_length=200)
    severity = forms.ChoiceField(label=_("How bad is it"), choices=Severity.choices, initial=Severity.GENERAL,
                                 widget=forms.RadioSelect)
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    contact_name = forms.CharField(label=_("contact name"), max_length=100)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=30)
    photo = forms.FileField(label=_("Photo (optional)"), required=False)

    def __init__(self, *args: Any, user: Any, fixed_unit: Unit | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        units = Unit.objects.restrict(user, "view").select_related("product_model").order_by("serial_number")
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = lambda u: f"{u.serial_number} · {u.product_model.name}"
        if fixed_unit is not None:
            self.fields["unit"].widget = forms.HiddenInput()
            self.fields["unit"].initial = fixed_unit.pk
        style_form(self)
        self.fields["title"].widget.attrs.update({"autocomplete": "off"})
        self.fields["contact_phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "tel"})


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReviewForm(forms.Form):
    review_form = forms.CharField(label=_("form of review"), max_length=100, required=False,
                                  help_text=_("E.g. meeting, countersignature, phone review."))
    analysis = forms.CharField(label=_("cause analysis"), widget=forms.Textarea(attrs={"rows": 4}))
    opinion = forms.CharField(label=_("review opinion"), widget=forms.Textarea(attrs={"rows": 3}))
    decided_plan = forms.ChoiceField(label=_("decided service plan"), choices=ServicePlan.choices)
    customer_feedback = forms.FileField(label=_("customer's written feedback (file)"), required=False)
    shown_to_customer = forms.BooleanField(
        label=_("show the attached files to the customer in the portal"), required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        style_form(self)


class PlanForm(forms.Form):
    plan = forms.ChoiceField(label=_("service plan"), choices=ServicePlan.choices)
    note = forms.CharField(label=_("plan note (what the customer is told)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        style_form(self)


class RejectPlanForm(forms.Form):
    comment = forms.CharField(label=_("why the plan does not suit the customer"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class LinkCustomerForm(forms.Form):
    """The customer record (by its code) and, when found, the unit (by its serial number) of a request
    logged for an unknown caller."""

    customer_code = forms.CharField(label=_("customer code"), max_length=40)
    serial_number = forms.CharField(label=_("serial number (optional)"), max_length=50, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        code = (data.get("customer_code") or "").strip()
        if code:
            data["customer"] = Customer.objects.restrict(self.user, "view").filter(code__iexact=code).first()
            if data["customer"] is None:
                self.add_error("customer_code", _("No customer has this code."))
        serial = (data.get("serial_number") or "").strip().upper()
        data["unit"] = None
        if serial:
            data["unit"] = Unit.objects.restrict(self.user, "view").select_related("so_line__order", "site") \
                .filter(serial_number=serial).first()
            if data["unit"] is None:
                self.add_error("serial_number", _("No unit has this serial number."))
        return data


class PhoneConfirmForm(forms.Form):
    confirmed_by_name = forms.CharField(label=_("who at the customer confirmed"), max_length=100)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ResolveForm(forms.Form):
    resolution = forms.CharField(label=_("resolution"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PauseForm(forms.Form):
    reason = forms.ChoiceField(label=_("pause reason"), choices=PauseReason.choices)
    note = forms.CharField(label=_("note"), required=False, max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class HandOverForm(forms.Form):
    from_department = forms.ModelChoiceField(label=_("handed over from"), queryset=Department.objects.all())
    note = forms.CharField(label=_("note"), required=False, max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CloseForm(forms.Form):
    """Closing a resolved request the customer has not answered about (no follow-up call)."""

    no_answer = forms.BooleanField(widget=forms.HiddenInput, initial=True, required=False)
    note = forms.CharField(label=_("note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_no_answer(self) -> bool:
        return True


class ConfirmResolutionForm(forms.Form):
    how = forms.ChoiceField(choices=[(ConfirmationChannel.PHONE.value, ConfirmationChannel.PHONE.label)],
                            initial=ConfirmationChannel.PHONE, widget=forms.HiddenInput)
    confirmed_by_name = forms.CharField(label=_("who at the customer confirmed"), max_length=100, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class SlaPolicyForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = SlaPolicy
        fields = ["name", "request_type", "severity", "customer_level", "contract_sla_level",
                  "first_response_minutes", "engineer_contact_minutes", "plan_decided_minutes",
                  "onsite_arrival_minutes", "resolution_minutes", "calendar", "is_default", "active"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk:
            self.fields["version"].initial = self.instance.version
        from .models import TARGET_FIELDS
        from .sla.labels import policy_day_minutes, target_label

        day, _round = policy_day_minutes(self.instance)
        for name in TARGET_FIELDS:  # the minutes as said: "now 3 working days"
            value = getattr(self.instance, name, None)
            hint = _("60 minutes are 1 h; %(day)d minutes are 1 working day.") % {"day": day}
            if value:
                hint = _("Now %(said)s.") % {"said": target_label(self.instance, value)} + " " + hint
            self.fields[name].help_text = hint
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
        style_form(self)

    @property
    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")

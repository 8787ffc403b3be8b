"""Forms of the work order pages. They parse input; ``services`` decide (who, when, what is valid).

Fields the services check themselves (reasons, signature, coordinates) are optional here so that the
person sees the service's message next to the field, with everything typed kept.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.accounts.models import Skill
from serviceloop.assets.models import SalesOrder
from serviceloop.service.forms import style_form

from .choices import ChargePayer, WorkResult
from .models import FeeLine

TEXT = 4000


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _textarea(rows: int = 3, **attrs: Any) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **attrs})


def yes_no(value: Any) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class StyledForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        style_form(self)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(field.widget, forms.RadioSelect):
                field.widget.attrs.setdefault("class", "btn-check")


class EmptyForm(StyledForm):
    """A step without input (accept): errors of the service show here."""


class WorkOrderCreateForm(StyledForm):
    description = forms.CharField(label=_("task"), required=False, max_length=TEXT, widget=_textarea(3),
                                  help_text=_("What the engineers are sent to do. Empty: the request's title."))
    work_instruction = forms.CharField(label=_("work instruction"), required=False, max_length=TEXT,
                                       widget=_textarea(4),
                                       help_text=_("The steps and tests of the work instruction to follow."))
    required_skill = forms.ModelChoiceField(label=_("required skill"), queryset=Skill.objects.all(), required=False)
    planned_date = forms.DateField(label=_("planned date"), required=False, widget=DateInput())


class PlanForm(WorkOrderCreateForm):
    """Change the planning data before the work is done."""

    chargeable = forms.BooleanField(label=_("chargeable"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class NoteForm(StyledForm):
    note = forms.CharField(label=_("note"), required=False, max_length=2000, widget=_textarea(2))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("reason"), required=False, max_length=2000, widget=_textarea(2))


class CancelForm(ReasonForm):
    confirm = forms.BooleanField(label=_("Yes, cancel this work order and release its engineers"), required=True)


class PositionForm(StyledForm):
    """Check-in / check-out: the browser fills the position when it gives it."""

    latitude = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    note = forms.CharField(label=_("note"), required=False, max_length=2000, widget=_textarea(2))


class ProgressForm(StyledForm):
    note = forms.CharField(label=_("progress today"), required=False, max_length=TEXT, widget=_textarea(3))
    day = forms.DateField(label=_("day"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = timezone.localdate()


class TestForm(StyledForm):
    __test__ = False  # not a pytest class

    item = forms.CharField(label=_("test item"), required=False, max_length=200)
    result = forms.CharField(label=_("measured result"), required=False, max_length=500)
    passed = forms.TypedChoiceField(label=_("passed"), required=False, coerce=yes_no, empty_value=None,
                                    choices=[("yes", _("Passed")), ("no", _("Failed"))], widget=forms.RadioSelect)


class HoursForm(StyledForm):
    day = forms.DateField(label=_("day"), widget=DateInput())
    hours = forms.DecimalField(label=_("hours"), max_digits=4, decimal_places=2, min_value=0,
                               widget=forms.NumberInput(attrs={"step": "0.25", "inputmode": "decimal"}))
    engineer = forms.TypedChoiceField(label=_("engineer"), required=False, coerce=int, empty_value=None)
    note = forms.CharField(label=_("note"), required=False, max_length=200)

    def __init__(self, *args: Any, team: list[Any] | None = None, may_log_others: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = timezone.localdate()
        if may_log_others and team:
            self.fields["engineer"].choices = [("", _("myself"))] + [(a.engineer.pk, str(a.engineer)) for a in team]
        else:
            del self.fields["engineer"]


class PartsForm(StyledForm):
    parts_used = forms.CharField(label=_("parts used"), required=False, max_length=TEXT, widget=_textarea(3),
                                 help_text=_("Part, quantity, serial numbers of old and new parts."))


class PhotoForm(StyledForm):
    file = forms.FileField(label=_("photo"), widget=forms.ClearableFileInput(
        attrs={"accept": "image/*", "capture": "environment"}))
    description = forms.CharField(label=_("description"), required=False, max_length=200)


class ResultForm(StyledForm):
    result = forms.ChoiceField(label=_("result"), required=False, choices=WorkResult.choices,
                               widget=forms.RadioSelect)
    work_done = forms.CharField(label=_("work done"), required=False, max_length=TEXT, widget=_textarea(3))
    parts_used = forms.CharField(label=_("parts used"), required=False, max_length=TEXT, widget=_textarea(2))
    escalation_plan = forms.CharField(
        label=_("plan of the technical or process department"), required=False, max_length=TEXT,
        widget=_textarea(2), help_text=_("For an escalation: the plan agreed with the department, if known."))


class RecordForm(StyledForm):
    """The engineer's one record screen on site: progress, a test, hours, parts used and a photo with one
    save; "work done" also records the result and opens the customer's signature."""

    note = forms.CharField(label=_("progress today"), required=False, max_length=TEXT, widget=_textarea(3),
                           help_text=_("What was done; with “work done” it is the report's work done."))
    test_item = forms.CharField(label=_("test item"), required=False, max_length=200)
    test_result = forms.CharField(label=_("measured result"), required=False, max_length=500)
    test_passed = forms.TypedChoiceField(label=_("passed"), required=False, coerce=yes_no, empty_value=None,
                                         choices=[("yes", _("Passed")), ("no", _("Failed"))],
                                         widget=forms.RadioSelect, initial="yes")
    hours = forms.DecimalField(label=_("hours today"), required=False, max_digits=4, decimal_places=2, min_value=0,
                               widget=forms.NumberInput(attrs={"step": "0.25", "inputmode": "decimal"}))
    parts_used = forms.CharField(label=_("parts used"), required=False, max_length=TEXT, widget=_textarea(2),
                                 help_text=_("Part, quantity, serial numbers of old and new parts."))
    photo = forms.FileField(label=_("photo"), required=False, widget=forms.ClearableFileInput(
        attrs={"accept": "image/*", "capture": "environment"}))
    result = forms.ChoiceField(label=_("result"), required=False, choices=WorkResult.choices,
                               widget=forms.RadioSelect, initial=WorkResult.FIXED,
                               help_text=_("Recorded with “work done”."))
    finish = forms.BooleanField(label=_("The work is done: record the result and let the customer sign"),
                                required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class EscalationPlanForm(StyledForm):
    plan = forms.CharField(label=_("plan"), required=False, max_length=TEXT, widget=_textarea(4))


class SalesOrderForm(StyledForm):
    sales_order = forms.ModelChoiceField(label=_("billing sales order"), queryset=SalesOrder.objects.none(),
                                         required=False, empty_label=_("(none: unlink)"))

    def __init__(self, *args: Any, user: Any, work_order: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["sales_order"].queryset = (
            SalesOrder.objects.restrict(user, "view").filter(customer=work_order.customer_id).order_by("-order_date")
        )
        self.fields["sales_order"].label_from_instance = lambda so: f"{so.number} · {so.order_date:%Y-%m-%d}"


class AssignForm(StyledForm):
    """The dispatcher picks the lead (radio) and helpers (check boxes) from the ranked engineers."""

    lead = forms.TypedChoiceField(label=_("lead engineer"), coerce=int, empty_value=None, widget=forms.RadioSelect,
                                  required=False)
    helpers = forms.TypedMultipleChoiceField(label=_("helpers"), coerce=int, required=False,
                                             widget=forms.CheckboxSelectMultiple)
    planned_date = forms.DateField(label=_("planned date"), required=False, widget=DateInput())
    note = forms.CharField(label=_("note"), required=False, max_length=2000, widget=_textarea(2))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, ranks: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [(r.user.pk, str(r.user)) for r in ranks]
        self.fields["lead"].choices = choices
        self.fields["helpers"].choices = choices


class FeeLineForm(forms.ModelForm):
    class Meta:
        model = FeeLine
        fields = ["kind", "description", "quantity", "unit_price"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        style_form(self)
        self.fields["quantity"].widget.attrs.setdefault("inputmode", "decimal")
        self.fields["unit_price"].widget.attrs.setdefault("inputmode", "decimal")


class ReportForm(StyledForm):
    """The text of the service report before the customer signs."""

    fault_description = forms.CharField(label=_("fault"), required=False, max_length=TEXT, widget=_textarea(3))
    work_done = forms.CharField(label=_("work done"), required=False, max_length=TEXT, widget=_textarea(3))
    parts_used = forms.CharField(label=_("parts used"), required=False, max_length=TEXT, widget=_textarea(2))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class SignForm(StyledForm):
    """The customer signs on the engineer's phone; the signature pad posts a PNG data URL."""

    signer_name = forms.CharField(label=_("customer's name"), required=False, max_length=200,
                                  widget=forms.TextInput(attrs={"autocomplete": "off"}))
    satisfied = forms.TypedChoiceField(label=_("Are you satisfied with the service?"), required=False,
                                       coerce=yes_no, empty_value=None, widget=forms.RadioSelect,
                                       choices=[("yes", _("Satisfied")), ("no", _("Not satisfied"))])
    unsatisfied_reason = forms.CharField(label=_("why not satisfied"), required=False, max_length=TEXT,
                                         widget=_textarea(2))
    signature = forms.CharField(required=False, max_length=600_000, widget=forms.HiddenInput,
                                error_messages={"max_length": _("The signature image is too large.")})


class VerifyForm(StyledForm):
    file = forms.FileField(label=_("PDF file of a signed service report"),
                           widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}))


class WorkReportForm(StyledForm):
    fault_phenomenon = forms.CharField(label=_("fault phenomenon"), required=False, max_length=TEXT,
                                       widget=_textarea(3))
    cause_analysis = forms.CharField(label=_("cause analysis"), required=False, max_length=TEXT, widget=_textarea(3))
    actions_taken = forms.CharField(label=_("actions taken"), required=False, max_length=TEXT, widget=_textarea(3))
    preventive_suggestion = forms.CharField(label=_("preventive suggestion"), required=False, max_length=TEXT,
                                            widget=_textarea(2))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class HelpRequestForm(StyledForm):
    reason = forms.CharField(label=_("help needed and why"), required=False, max_length=TEXT, widget=_textarea(3))
    skill = forms.ModelChoiceField(label=_("skill needed"), queryset=Skill.objects.all(), required=False)
    skill_note = forms.CharField(label=_("skill needed (details)"), required=False, max_length=300)


class HelpApproveForm(StyledForm):
    """The service manager sends a headquarters engineer (ranked for the work order)."""

    hq_engineer = forms.TypedChoiceField(label=_("headquarters engineer"), coerce=int, empty_value=None,
                                         required=False, widget=forms.RadioSelect)
    note = forms.CharField(label=_("note"), required=False, max_length=2000, widget=_textarea(2))

    def __init__(self, *args: Any, ranks: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["hq_engineer"].choices = [(r.user.pk, str(r.user)) for r in ranks]


class SupportConfirmForm(StyledForm):
    """技术支持确认单."""

    support_given = forms.CharField(label=_("support given"), required=False, max_length=TEXT, widget=_textarea(3))
    rating = forms.TypedChoiceField(label=_("rating"), coerce=int, empty_value=None, required=False,
                                    choices=[(n, str(n)) for n in range(1, 6)], widget=forms.RadioSelect,
                                    help_text=_("1 (poor) to 5 (excellent)"))
    note = forms.CharField(label=_("note"), required=False, max_length=2000, widget=_textarea(2))


class HelpChargeForm(StyledForm):
    """The internal charge between the branch and headquarters for a help request."""

    amount = forms.DecimalField(label=_("internal charge (CNY)"), required=False, max_digits=12, decimal_places=2,
                                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}))
    payer = forms.ChoiceField(label=_("who pays whom"), required=False, choices=ChargePayer.choices,
                              widget=forms.RadioSelect, initial=ChargePayer.BRANCH_PAYS_HQ)
    basis = forms.CharField(label=_("basis of the charge"), required=False, max_length=2000, widget=_textarea(2),
                            help_text=_("The fee standard applied, e.g. engineer days x rate, travel."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

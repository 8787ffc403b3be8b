from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from serviceloop.core.scoping import is_customer

from .choices import SCORE_CHOICES, ComplaintCategory, ComplaintChannel, RevisitChannel, UnsatisfiedAction

YES_NO = [("yes", _("Yes, satisfied")), ("no", _("No, not satisfied"))]
# the same choices, in the customer's words
PORTAL_ACTIONS = [
    (UnsatisfiedAction.REOPEN, _("The problem is not solved: please reopen my request")),
    (UnsatisfiedAction.COMPLAINT, _("The problem is solved, but I want to complain about the service")),
]


class FollowUpForm(forms.Form):
    """The answers of one follow-up: three scores 1-5 as radio buttons, satisfied yes/no, comments.

    ``portal=True`` is the customer's own rating (no "person reached" field)."""

    person = forms.CharField(label=_("Person reached"), max_length=100, required=False)
    attitude = forms.TypedChoiceField(label=_("Service attitude"), choices=SCORE_CHOICES, coerce=int,
                                      widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    skill = forms.TypedChoiceField(label=_("Technical skill"), choices=SCORE_CHOICES, coerce=int,
                                   widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    timeliness = forms.TypedChoiceField(label=_("Timeliness"), choices=SCORE_CHOICES, coerce=int,
                                        widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    satisfied = forms.ChoiceField(label=_("Satisfied overall?"), choices=YES_NO, widget=forms.RadioSelect)
    comments = forms.CharField(label=_("Comments"), required=False, max_length=4000,
                               widget=forms.Textarea(attrs={"rows": 3}),
                               help_text=_("Required when not satisfied: what went wrong?"))
    unsatisfied_action = forms.ChoiceField(
        label=_("If not satisfied"), choices=UnsatisfiedAction.choices, widget=forms.RadioSelect,
        initial=UnsatisfiedAction.REOPEN, required=False,
    )

    def __init__(self, *args: Any, portal: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.portal = portal
        if portal:
            del self.fields["person"]
            self.fields["comments"].label = _("Your comments")
            self.fields["unsatisfied_action"].choices = PORTAL_ACTIONS
        else:
            self.fields["person"].required = True
            self.fields["person"].widget.attrs.update({"class": "form-control", "autofocus": True,
                                                       "autocomplete": "off"})
        self.fields["comments"].widget.attrs.setdefault("class", "form-control")
        for name in ("attitude", "skill", "timeliness", "satisfied"):
            # visually buttons, still radios: Tab reaches the group, arrow keys choose
            self.fields[name].widget.attrs["class"] = "btn-check"
        self.fields["unsatisfied_action"].widget.attrs["class"] = "form-check-input"
        if portal:
            self.fields["attitude"].widget.attrs["autofocus"] = True

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "person": data.get("person", ""),
            "attitude": data["attitude"],
            "skill": data["skill"],
            "timeliness": data["timeliness"],
            "satisfied": data["satisfied"] == "yes",
            "comments": data.get("comments", ""),
            "unsatisfied_action": data.get("unsatisfied_action") or UnsatisfiedAction.REOPEN,
        }


def _textarea(rows: int = 3, **attrs: Any) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "class": "form-control", **attrs})


def _input(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", "autocomplete": "off", **attrs})


class ComplaintRegisterForm(forms.Form):
    """客户投诉登记: the desk's form (customer, channel, major) or the customer's own in the portal (their words,
    what it is about). On a request's page the customer and the request are given."""

    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None, required=False,
                                      widget=forms.Select(attrs={"class": "form-select"}))
    request_number = forms.CharField(label=pgettext_lazy("complaint", "Service request number"), max_length=20, required=False,
                                     widget=_input(placeholder="CSI-2612-0001"),
                                     help_text=_("Optional: the request the complaint is about."))
    channel = forms.ChoiceField(label=pgettext_lazy("complaint", "Received by"), choices=[
        c for c in ComplaintChannel.choices if c[0] in (ComplaintChannel.PHONE, ComplaintChannel.EMAIL,
                                                        ComplaintChannel.VISIT)],
        initial=ComplaintChannel.PHONE, widget=forms.Select(attrs={"class": "form-select"}))
    category = forms.ChoiceField(label=pgettext_lazy("complaint", "About"), choices=ComplaintCategory.choices,
                                 initial=ComplaintCategory.TIMELINESS, widget=forms.Select(attrs={"class": "form-select"}))
    contact_name = forms.CharField(label=pgettext_lazy("complaint", "Complainant"), max_length=100, required=False, widget=_input())
    contact_phone = forms.CharField(label=pgettext_lazy("complaint", "Complainant's phone"), max_length=30, required=False, widget=_input())
    description = forms.CharField(label=pgettext_lazy("complaint", "Complaint"), max_length=4000, widget=_textarea(4, autofocus=True),
                                  help_text=_("What happened, in the customer's words."))
    major = forms.BooleanField(label=_("Major complaint (key account or serious incident)"), required=False,
                               widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args: Any, user: Any, service_request: Any = None, customers: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.service_request = user, service_request
        if customers is not None:
            self.fields["customer"].queryset = customers
        if service_request is not None or is_customer(user):
            del self.fields["customer"]
            del self.fields["request_number"]
        else:
            self.fields["customer"].required = True
        if is_customer(user):
            for name in ("channel", "major", "contact_name"):
                del self.fields[name]
            self.fields["description"].label = pgettext_lazy("complaint", "Your complaint")
            self.fields["description"].help_text = _("What went wrong with our service?")
            self.fields["contact_phone"].label = pgettext_lazy("complaint", "Your phone")

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        out = {k: data[k] for k in ("channel", "category", "contact_name", "contact_phone", "description", "major")
               if k in data}
        if data.get("customer") is not None:
            out["customer"] = data["customer"]
        return out


class ComplaintSendForm(forms.Form):
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments responsible"), queryset=None, widget=forms.CheckboxSelectMultiple(
            attrs={"class": "form-check-input"}),
        help_text=_("Each department answers with its analysis within 24 hours."))
    note = forms.CharField(label=_("Note to the departments"), max_length=4000, required=False, widget=_textarea())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from serviceloop.accounts.models import Department

        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Department.objects.order_by("code")

    def clean_departments(self) -> list[Any]:
        return list(self.cleaned_data["departments"])


class ComplaintAnalyseForm(forms.Form):
    cause = forms.CharField(label=pgettext_lazy("complaint", "Cause analysis"), max_length=4000, widget=_textarea(4, autofocus=True),
                            help_text=_("What your department found: why did it happen?"))
    improvement = forms.CharField(label=pgettext_lazy("complaint", "Improvement"), max_length=4000, widget=_textarea(3),
                                  help_text=_("What your department changes so it does not happen again."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ComplaintEscalateForm(forms.Form):
    reason = forms.CharField(label=_("Why is it major?"), max_length=4000, widget=_textarea(3, autofocus=True))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ComplaintHandleForm(forms.Form):
    note = forms.CharField(label=pgettext_lazy("complaint", "Handling measures"), max_length=4000, widget=_textarea(4, autofocus=True),
                           help_text=_("What was done for the customer, from the departments' analyses."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ComplaintRevisitForm(forms.Form):
    """回访: who was reached, satisfied yes/no, why not. The customer answers it in the portal (no person)."""

    channel = forms.ChoiceField(label=_("Channel"), choices=[
        c for c in RevisitChannel.choices if c[0] != RevisitChannel.PORTAL], initial=RevisitChannel.PHONE,
        widget=forms.Select(attrs={"class": "form-select"}))
    person = forms.CharField(label=_("Person reached"), max_length=100, widget=_input(autofocus=True))
    satisfied = forms.ChoiceField(label=_("Is the customer satisfied with the measures?"), choices=YES_NO,
                                  widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    comments = forms.CharField(label=_("Comments"), max_length=4000, required=False, widget=_textarea(),
                               help_text=_("Required when not satisfied: what is still wrong?"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user is not None and is_customer(user):
            del self.fields["channel"]
            del self.fields["person"]
            self.fields["satisfied"].label = _("Are you satisfied with what we did?")
            self.fields["comments"].label = _("Your comments")

    def clean_satisfied(self) -> bool:
        return self.cleaned_data["satisfied"] == "yes"


class ComplaintCloseForm(forms.Form):
    note = forms.CharField(label=pgettext_lazy("complaint", "Note"), max_length=4000, required=False, widget=_textarea(2))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

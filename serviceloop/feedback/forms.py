from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import SCORE_CHOICES, UnsatisfiedAction

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
                                      widget=forms.RadioSelect)
    skill = forms.TypedChoiceField(label=_("Technical skill"), choices=SCORE_CHOICES, coerce=int,
                                   widget=forms.RadioSelect)
    timeliness = forms.TypedChoiceField(label=_("Timeliness"), choices=SCORE_CHOICES, coerce=int,
                                        widget=forms.RadioSelect)
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


class ComplaintHandleForm(forms.Form):
    note = forms.CharField(label=_("Handling note"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 4, "class": "form-control", "autofocus": True}),
                           help_text=_("Cause, what was done, and the customer's answer."))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

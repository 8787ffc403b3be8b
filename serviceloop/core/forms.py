from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import lockout


class LockoutMessageMixin:
    """An authentication form that says "too many failed logins, try again in N minutes" when django-axes
    refused the attempt (core/lockout.py) instead of "wrong user name or password"."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if lockout.is_locked_out(self.request):
                raise forms.ValidationError(lockout.lock_message(self.request), code="locked") from None
            raise


class RateLimitedAuthenticationForm(LockoutMessageMixin, AuthenticationForm):
    """The web login and the API token endpoint: django-axes counts the failures per user name and address."""


class AdminLoginForm(LockoutMessageMixin, AdminAuthenticationForm):
    """The admin site's login, with the same lockout message."""


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class VersionedModelForm(forms.ModelForm):
    """A model form that carries the record's version, so a stale edit is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk:
            self.fields["version"].initial = self.instance.version
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput,)):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control")
            if isinstance(widget, forms.DateInput):
                widget.input_type = "date"
                widget.format = "%Y-%m-%d"

    @property
    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")

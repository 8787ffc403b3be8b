"""The person's own settings page."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class MySettingsForm(forms.Form):
    language = forms.ChoiceField(
        label=_("language"), required=False,
        help_text=_("The language of pages, notifications and e-mails. Blank: the browser's language."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # each language named in itself, so a person who cannot read the current one finds theirs
        choices = [("", _("as the browser asks"))]
        choices += [(code, f"{label} · {native}") for code, label, native in _languages()]
        self.fields["language"].choices = choices
        self.fields["language"].widget.attrs.update({"class": "form-select", "data-testid": "language-select"})


def _languages() -> list[tuple[str, str, str]]:
    from django.utils.translation import get_language_info

    out = []
    for code, label in settings.LANGUAGES:
        out.append((code, str(label), get_language_info(code)["name_local"]))
    return out

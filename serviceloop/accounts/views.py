"""My settings (个人设置): the person's own language; the top bar's language switch keeps it too."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from .forms import MySettingsForm
from .middleware import set_language_cookie
from .services import user_set_language


@login_required
def my_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = MySettingsForm(request.POST or None, initial={"language": user.language})
    if request.method == "POST" and form.is_valid():
        try:
            user_set_language(user=user, language=form.cleaned_data["language"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            language = user.language or translation.get_language_from_request(request)
            translation.activate(language)  # the next page and this message in the new language
            request.LANGUAGE_CODE = language
            messages.success(request, _("Your settings are saved."))
            response = redirect("accounts:settings")
            if user.language:
                set_language_cookie(response, user.language)
            else:  # follow the browser again: the cookie would keep the old choice
                response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH,
                                       domain=settings.LANGUAGE_COOKIE_DOMAIN)
            return response
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/my_settings.html", {"form": form, "title": _("My settings")}, status=status)


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """The top bar's language button: Django's ``set_language`` (cookie, back to the page), and for a signed-in
    person also their setting, which otherwise would win over the cookie on the next page."""
    language = request.POST.get("language", "")
    if getattr(request.user, "is_authenticated", False) and language in dict(settings.LANGUAGES):
        user_set_language(user=request.user, language=language)
    return set_language(request)

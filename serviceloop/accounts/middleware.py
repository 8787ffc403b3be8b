"""The reader's own language (issue 9): a signed-in person's language setting wins over the browser's.

Runs after ``AuthenticationMiddleware`` (and so after ``LocaleMiddleware``, which chose the language from the
language cookie or Accept-Language): when the user has set a language, it is activated for the request, and
the language cookie follows it, so the login page and pages after logging out speak it too."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


def user_language(user) -> str:
    """The user's own language setting when it is one the site speaks, else ""."""
    if not getattr(user, "is_authenticated", False):
        return ""
    language = getattr(user, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else ""


def set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class UserLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = user_language(getattr(request, "user", None))
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # on the login itself the user is known only now: the cookie carries their language from here on
        language = user_language(getattr(request, "user", None)) or language
        if language and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language \
                and settings.LANGUAGE_COOKIE_NAME not in response.cookies:
            set_language_cookie(response, language)
        return response

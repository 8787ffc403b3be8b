"""Login lockout with django-axes: by user name *and* client address, with a cool-off that grows.

The settings (``serviceloop/settings.py``, "Login lockout") point django-axes at the functions here.

- Failures are counted per pair of user name and client address (``AXES_LOCKOUT_PARAMETERS``). A
  client that guesses passwords, or sprays made-up user names, locks out only its own pairs: the same
  user logging in from another address, and other users behind the same address (a factory NAT, the
  reverse proxy) are not affected. User names are compared without case.
- The client address comes from django-ipware: ``REMOTE_ADDR``, or with ``SERVICELOOP_TRUSTED_PROXIES``
  = N the address the nearest of the N trusted proxies saw (``X-Forwarded-For``). The audit rows
  (``core.access.client_ip``) read the same address.
- After ``LOGIN_FAILURE_LIMIT`` failures the pair waits ``LOGIN_FAILURE_WINDOW`` seconds; every further
  ``LOGIN_FAILURE_LIMIT`` attempts while it waits double the wait, up to ``LOGIN_COOLOFF_MAX``. Each
  pair's attempts expire on their own (``AXES_USE_ATTEMPT_EXPIRATION``); after the wait the count
  starts again, and a successful login clears it (``AXES_RESET_ON_SUCCESS``).
- The web login form, the admin's login form and the API token endpoint (which uses the web form)
  show the same message (``lock_message``); ``manage.py axes_reset_username NAME`` unlocks a user.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

NAME_ATTRIBUTE = "serviceloop_login_name"  # the normalised user name of this request's login attempt


def normalise(raw: Any) -> str | None:
    if raw is None:
        return None
    name = str(raw).strip().lower()[:150]
    return name or None


def username(request: HttpRequest | None, credentials: dict | None = None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the user name the attempt is counted under (without case), kept on
    the request for ``cool_off``, which axes calls with the request only."""
    raw = (credentials or {}).get("username") if credentials else None
    if raw is None and request is not None:
        raw = getattr(request, "POST", {}).get("username")  # the admin's login form
    name = normalise(raw)
    if request is not None:
        setattr(request, NAME_ATTRIBUTE, name)
    return name


def client_ip(request: Any) -> str | None:
    """The client's address as the lockout sees it (django-ipware with the trusted-proxy settings)."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request)


def failures(name: str | None, ip: str | None) -> int:
    """Failed attempts of one (user name, address) pair that have not expired."""
    from axes.models import AccessAttempt

    total = AccessAttempt.objects.filter(username=name, ip_address=ip).aggregate(n=Sum("failures_since_start"))["n"]
    return total or 0


def wait_after(count: int) -> timedelta:
    """How long a pair with ``count`` failures waits: the base wait up to the second full round of
    failures, then twice as long for every further round, never more than ``LOGIN_COOLOFF_MAX``."""
    limit = max(1, int(settings.AXES_FAILURE_LIMIT))
    base = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    ceiling = timedelta(seconds=settings.LOGIN_COOLOFF_MAX)
    rounds = max(0, count - limit) // limit
    if rounds >= 32:  # the ceiling long before
        return ceiling
    return min(base * 2**rounds, ceiling)


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """``AXES_COOLOFF_TIME``: the wait of the pair this request's login attempt belongs to."""
    if request is None or not hasattr(request, NAME_ATTRIBUTE):
        return wait_after(0)
    ip = getattr(request, "axes_ip_address", None)
    if ip is None:
        ip = client_ip(request)
    return wait_after(failures(getattr(request, NAME_ATTRIBUTE), ip))


def is_locked_out(request: HttpRequest | None) -> bool:
    """Whether axes refused (or just locked) this request's login attempt."""
    return bool(getattr(request, "axes_locked_out", False))


def lock_minutes(request: HttpRequest) -> int:
    return max(1, math.ceil(cool_off(request).total_seconds() / 60))


def lock_message(request: HttpRequest) -> str:
    return _("Too many failed logins for this user name from your address. Try again in %(minutes)s minutes, "
             "or ask an administrator to unlock the login.") % {"minutes": lock_minutes(request)}


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the page or API answer the view made (the login form with
    ``lock_message``, the token endpoint's 429), instead of axes' own English text."""
    if original_response is not None:
        return original_response
    return HttpResponse(lock_message(request), status=429, content_type="text/plain; charset=utf-8")

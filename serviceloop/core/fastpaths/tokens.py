"""API token authentication in one query, compiled once (``compiled.py``): the token, its user, the
user's branch (the access scope reads it) and the cache stamp (``core.stamps``: the user's
permissions then come from this process's cache), instead of DRF's token-and-user query followed by
the branch and the stamp.

DRF internals used: ``rest_framework.authtoken.models.Token`` (its ``key`` and ``user``),
``TokenAuthentication.authenticate_credentials`` and its error messages ("Invalid token.",
"User inactive or deleted."); the compiled query's Django internals.

Plain path (fast paths off, asked on each call, or another token model): ``applies`` is False and
the caller uses DRF's own ``authenticate_credentials``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions

from .. import stamps
from . import enabled
from .compiled import CompiledQuery, str_param


def _token_query(key: str):
    from rest_framework.authtoken.models import Token

    return Token.objects.select_related("user", "user__branch").annotate(cache_stamp=stamps.subquery()).filter(key=key)


_TOKEN = CompiledQuery(_token_query, str_param(0))


def applies(model: type) -> bool:
    """Whether ``authenticate`` may stand in for DRF's lookup of tokens of ``model``."""
    return enabled() and model.__name__ == "Token" and model._meta.app_label == "authtoken"


def authenticate(key: str) -> tuple[Any, Any]:
    """(user, token) as DRF's ``authenticate_credentials`` gives them, with the same refusals."""
    from rest_framework.authtoken.models import Token

    try:
        token = _TOKEN.get(key)
    except Token.DoesNotExist:
        raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
    if not token.user.is_active:
        raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
    stamps.remember(token.cache_stamp)
    return (token.user, token)

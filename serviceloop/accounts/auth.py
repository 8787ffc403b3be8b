"""API token authentication in one query, compiled once (core/compiled.py): the token, its user, the
user's branch (the access scope reads it) and the cache stamp (``stamps``: the user's permissions then come from this process's cache)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from serviceloop.core.compiled import CompiledQuery, str_param

from . import stamps


def _token_query(key: str):
    from rest_framework.authtoken.models import Token

    return Token.objects.select_related("user", "user__branch").annotate(cache_stamp=stamps.subquery()).filter(key=key)


_TOKEN = CompiledQuery(_token_query, str_param(0))


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        model = self.get_model()
        if model.__name__ != "Token" or model._meta.app_label != "authtoken":  # another token model: the stock way
            return super().authenticate_credentials(key)
        try:
            token = _TOKEN.get(key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        stamps.remember(token.cache_stamp)
        return (token.user, token)

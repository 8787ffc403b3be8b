"""API token authentication: DRF's, with the token, its user, the user's branch and the cache stamp
read in one compiled query when the fast paths are on (core/fastpaths/tokens.py)."""

from __future__ import annotations

from rest_framework import authentication

from serviceloop.core.fastpaths import tokens


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        if not tokens.applies(self.get_model()):  # fast paths off, or another token model: the stock way
            return super().authenticate_credentials(key)
        return tokens.authenticate(key)

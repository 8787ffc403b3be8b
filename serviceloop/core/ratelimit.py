"""Login rate limiting: too many failures for one user name or one address -> refused for a while."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache


def _keys(username: str, ip: str | None) -> list[str]:
    keys = [f"login-fail:user:{username.lower()[:150]}"]
    if ip:
        keys.append(f"login-fail:ip:{ip}")
    return keys


def is_locked(username: str, ip: str | None) -> bool:
    limit = settings.LOGIN_FAILURE_LIMIT
    user_key, *ip_keys = _keys(username, ip)
    if (cache.get(user_key) or 0) >= limit:
        return True
    # an address may try a few user names, but not spray many
    return any((cache.get(k) or 0) >= limit * 4 for k in ip_keys)


def record_failure(username: str, ip: str | None) -> None:
    for key in _keys(username, ip):
        if not cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW):
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW)


def reset(username: str) -> None:
    cache.delete(_keys(username, None)[0])

"""The user's permissions, already in this process's stamped cache (``core/scoping._access``), written
into the attributes where Django's ``ModelBackend`` keeps them for the user object, so ``has_perm``
does not read them from the database again (two queries per API call).

Django internals used: the names and contents of ``ModelBackend``'s per-user caches
``_user_perm_cache``, ``_group_perm_cache`` (sets of ``"app_label.codename"``) and ``_perm_cache``
(their union), which ``ModelBackend._get_permissions`` / ``get_all_permissions`` read when present.

Plain path (fast paths off, asked on each call): nothing is written; ``ModelBackend`` queries as usual.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from . import enabled


def prime(user: Any, own: Set[str], group: Set[str]) -> bool:
    """Write the caches unless the user object has them already; True when written."""
    if not enabled() or getattr(user, "_perm_cache", None) is not None:
        return False
    user._user_perm_cache = set(own)
    user._group_perm_cache = set(group)
    user._perm_cache = user._user_perm_cache | user._group_perm_cache
    return True

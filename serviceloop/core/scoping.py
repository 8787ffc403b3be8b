"""The one access gate: ``Model.objects.restrict(user, action)``.

Every view, API endpoint, list, search, export and attachment download starts from it.
- customers (portal users) see their own company's records;
- branch staff see their region's records;
- headquarters roles see everything.
Deny by default: a scoped role (``CUSTOMER_ROLE``, ``BRANCH_ROLE``) without its scope on the user (no
customer; no branch or the headquarters one) sees nothing, whatever other roles the user holds.
Writing also needs the Django model permission that the user's role (group) grants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q

from . import stamps
from .fastpaths import permcache
from .stamps import StampedCache

ACTIONS = ("view", "add", "change", "delete")
# The roles (group names, as in accounts/roles.py) whose users see only their own part of the records.
CUSTOMER_ROLE = "customer"  # the user's customer
BRANCH_ROLE = "branch_staff"  # the user's regional branch


@dataclass(frozen=True)
class Scope:
    kind: str  # "all" | "customer" | "branch" | "none"
    key: int | None = None


def _role_names(user: Any) -> frozenset[str]:
    return frozenset(user.groups.values_list("name", flat=True))


def _load_access(_pk: int, user: Any) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    from django.contrib.auth.backends import ModelBackend

    backend = ModelBackend()
    return (frozenset(backend.get_user_permissions(user)), frozenset(backend.get_group_permissions(user)),
            _role_names(user))


# user id -> the user's own permissions, their groups' permissions, their roles (group names)
_ACCESS = StampedCache(_load_access)


def _access(user: Any) -> tuple[frozenset[str], frozenset[str], frozenset[str]] | None:
    """The user's roles and permissions, from this process's cache during a request: reloaded after
    any change of the user's roles or own permissions (their access stamp) and of any group's
    permissions (the cache stamp), see core/stamps.py. Once per user object (request).
    None outside requests: Django reads them as usual."""
    cached = getattr(user, "_serviceloop_access", None)
    if cached is None:
        if stamps.current() is None:
            return None
        version = (bool(user.is_superuser), getattr(user, "access_stamp", None))
        cached = _ACCESS.get(user.pk, user, version=version)
        user._serviceloop_access = cached
        permcache.prime(user, cached[0], cached[1])  # what ModelBackend would read twice per request
    return cached


def _roles(user: Any) -> frozenset[str]:
    """The user's roles (group names)."""
    access = _access(user)
    return access[2] if access is not None else _role_names(user)


def scope_of(user: Any) -> Scope:
    """Which records a user may see at all. Cached on the user object for the request.

    Deny by default: "all" only for superusers and for headquarters roles; a scoped role without its
    scope (the customer role without a customer, branch staff without a regional branch) is "none"."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope("none")
    cached = getattr(user, "_serviceloop_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope("all")
    elif is_customer(user):
        scope = Scope("customer", user.customer_id)
    elif CUSTOMER_ROLE in (roles := _roles(user)):
        scope = Scope("none")  # a portal user not (or no longer) tied to a customer
    elif getattr(user, "branch_id", None) and not user.branch.is_headquarters:
        scope = Scope("branch", user.branch_id)
    elif BRANCH_ROLE in roles or not roles:
        scope = Scope("none")  # branch staff without a regional branch; no role at all
    else:
        scope = Scope("all")  # headquarters roles
    user._serviceloop_scope = scope
    return scope


def scope_q(model: type[models.Model], scope: Scope) -> Q | None:
    """The filter a scope puts on a model; None means no filter, Q(pk__in=[]) means nothing."""
    if scope.kind == "all":
        return None
    if scope.kind == "none":
        return Q(pk__in=[])
    if getattr(model, "scope_global", False):
        return None
    path = getattr(model, "scope_paths", {}).get(scope.kind)
    if not path:
        return Q(pk__in=[])
    return Q(**{path: scope.key})


def has_model_perm(user: Any, model: type[models.Model], action: str) -> bool:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    opts = model._meta
    if getattr(user, "is_active", False) and getattr(user, "is_authenticated", False) and not user.is_superuser:
        _access(user)
    return bool(user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"))


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user: Any, action: str = "view") -> ScopedQuerySet:
        scope = scope_of(user)
        if scope.kind == "none" or not has_model_perm(user, self.model, action):
            return self.none()
        condition = scope_q(self.model, scope)
        return self if condition is None else self.filter(condition)


def is_customer(user: Any) -> bool:
    """A customer's portal user (scoped to their own company)."""
    return bool(getattr(user, "customer_id", None))

"""The one access gate: ``Model.objects.restrict(user, action)``.

Every view, API endpoint, list, search, export and attachment download starts from it.
- customers (portal users) see their own company's records;
- branch staff see their region's records;
- headquarters roles see everything.
Writing also needs the Django model permission that the user's role (group) grants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q

ACTIONS = ("view", "add", "change", "delete")


@dataclass(frozen=True)
class Scope:
    kind: str  # "all" | "customer" | "branch" | "none"
    key: int | None = None


def scope_of(user: Any) -> Scope:
    """Which records a user may see at all. Cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope("none")
    cached = getattr(user, "_serviceloop_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope("all")
    elif getattr(user, "customer_id", None):
        scope = Scope("customer", user.customer_id)
    elif getattr(user, "branch_id", None) and not user.branch.is_headquarters:
        scope = Scope("branch", user.branch_id)
    elif user.groups.exists():
        scope = Scope("all")
    else:
        scope = Scope("none")
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
    return bool(user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"))


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user: Any, action: str = "view") -> ScopedQuerySet:
        scope = scope_of(user)
        if scope.kind == "none" or not has_model_perm(user, self.model, action):
            return self.none()
        condition = scope_q(self.model, scope)
        return self if condition is None else self.filter(condition)

"""Fetching one record through the gate: invisible -> 404, visible but not allowed -> 403.

Every refusal writes an AuthorizationFailure audit row.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from .models import AuthorizationFailure
from .scoping import has_model_perm, scope_of

M = TypeVar("M", bound=models.Model)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address, behind the trusted proxies too (the login lockout's, core/lockout.py)."""
    if request is None:
        return None
    from .lockout import client_ip as lockout_client_ip

    return lockout_client_ip(request) or None


def audit_denial(request: HttpRequest | None, *, action: str, target: str, outcome: str, user: Any = None) -> None:
    user = user if user is not None else getattr(request, "user", None)
    authenticated = bool(user is not None and getattr(user, "is_authenticated", False))
    AuthorizationFailure.objects.create(
        user=user if authenticated else None,
        username=(user.get_username() if authenticated else "")[:150],
        method=(request.method or "")[:10] if request is not None else "",
        path=(request.get_full_path() if request is not None else "")[:500],
        ip=client_ip(request),
        action=action[:20],
        target=target[:200],
        outcome=outcome,
    )


def get_for_user(
    request: HttpRequest, model: type[M], action: str = "view", *, queryset: models.QuerySet | None = None, **lookup: Any
) -> M:
    """The record matching ``lookup`` if the user may see it and perform ``action`` on it."""
    user = request.user
    base = queryset if queryset is not None else model._default_manager.all()
    label = f"{model._meta.label}:{lookup}"
    try:
        obj = base.restrict(user, "view").get(**lookup)
    except (model.DoesNotExist, ValueError, TypeError):
        audit_denial(request, action=action, target=label, outcome="not_found")
        raise Http404(_("No such record, or you may not see it.")) from None
    if action != "view" and not model._default_manager.restrict(user, action).filter(pk=obj.pk).exists():
        audit_denial(request, action=action, target=f"{model._meta.label}:{obj.pk}", outcome="forbidden")
        raise PermissionDenied(_("You may see this record but not change it."))
    return obj


def require_model_perm(request: HttpRequest, model: type[models.Model], action: str) -> None:
    """For creating records and other model-wide actions: 403 unless the role allows it."""
    if scope_of(request.user).kind != "none" and has_model_perm(request.user, model, action):
        return
    audit_denial(request, action=action, target=model._meta.label, outcome="forbidden")
    raise PermissionDenied(_("Your role does not allow this."))

"""API building blocks: the access gate for viewsets, pagination without COUNT(*), errors."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, viewsets
from rest_framework.views import exception_handler as drf_exception_handler

from .access import audit_denial, get_for_user, require_model_perm
from .concurrency import StaleEditError

ACTION_FOR_METHOD = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "PUT": "change", "PATCH": "change",
                     "DELETE": "delete", "POST": "add"}


def exception_handler(exc: Exception, context: dict[str, Any]):
    request = context.get("request")
    if isinstance(exc, StaleEditError):
        exc = exceptions.APIException(detail={"detail": exc.messages[0]})
        exc.status_code = 409
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed) and request is not None:
        audit_denial(request, action=ACTION_FOR_METHOD.get(request.method, "view"), target=request.path,
                     outcome="unauthenticated", user=None)
    response = drf_exception_handler(exc, context)
    return response


class GatedQuerysetMixin:
    """Every list and object goes through ``restrict``; writes need the role's permission."""

    model: Any = None

    def get_queryset(self):
        qs = self.base_queryset() if hasattr(self, "base_queryset") else self.model._default_manager.all()
        return qs.restrict(self.request.user, "view")

    def get_object(self):
        action = ACTION_FOR_METHOD.get(self.request.method, "view")
        lookup = {self.lookup_field: self.kwargs[self.lookup_url_kwarg or self.lookup_field]}
        try:
            obj = get_for_user(self.request, self.model, action, queryset=self.filter_queryset_base(), **lookup)
        except Http404:
            raise exceptions.NotFound() from None
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        self.check_object_permissions(self.request, obj)
        return obj

    def filter_queryset_base(self):
        return self.base_queryset() if hasattr(self, "base_queryset") else self.model._default_manager.all()

    def check_create_allowed(self) -> None:
        try:
            require_model_perm(self.request, self.model, "add")
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None

    def create(self, request, *args, **kwargs):
        self.check_create_allowed()
        return super().create(request, *args, **kwargs)


class GatedModelViewSet(GatedQuerysetMixin, viewsets.ModelViewSet):
    pass


class GatedReadOnlyViewSet(GatedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class GatedRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key the caller may only point at records they can see."""

    def get_queryset(self):
        qs = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return qs.none()
        return qs.restrict(request.user, "view")

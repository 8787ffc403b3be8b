"""The API side of declared steps (core.steps): one POST action per step, generated from the declaration.

``add_step_actions(ViewSet, workflow, detail_serializer=...)`` gives the viewset, for every step with
``api=True``, the action ``POST <resource>/<id>/<step.path>/``: the record through the gate (invisible:
404; the step's gate action refused: 403), the step's blocker (403 for the role or the assignment, 400
for the record's state), the body checked by the step's serializer (400), the step's service (a stale
version: 409), and the answer (the record's detail, or the step's own result serializer).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from .access import audit_denial, get_for_user, require_model_perm
from .api import DETAIL_SCHEMA
from .steps import StepDef, Workflow

CONFLICT = OpenApiResponse(DETAIL_SCHEMA, description="The record was changed since the version sent.")
# the codes of core.attachments' refusals: shown on the upload field of the step
ATTACHMENT_ERRORS = {"extension", "empty", "size", "content"}


def allowed_steps_field(workflow: Workflow) -> Any:
    """A serializer method field's schema: the keys of the steps the caller may take now."""
    return extend_schema_field(serializers.ListField(
        child=serializers.ChoiceField(choices=list(workflow.steps)),
        help_text="The steps the caller may take now (the same as the buttons on the record's page).",
    ))


def _step_object(view: Any, workflow: Workflow, step: StepDef) -> Any:
    request = view.request
    model = workflow.model
    try:
        if getattr(view, "step_role_refusal", True):
            require_model_perm(request, model, "view")  # a role without these records at all: 403
        obj = get_for_user(request, model, step.gate_for(request.user), queryset=view.step_queryset(),
                           pk=view.kwargs["pk"])
    except Http404:
        raise exceptions.NotFound() from None
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from None
    found = step.blocker(request.user, obj)
    if found is not None:
        if found.forbidden:
            audit_denial(request, action="change", target=f"{model._meta.label}:{obj.pk}", outcome="forbidden")
            raise exceptions.PermissionDenied(found.reason)
        raise DjangoValidationError(found.reason, code="blocked")
    return obj


def _response_serializer(step: StepDef) -> type | None:
    """``api_response`` may be a zero-argument function (a serializer defined after the steps)."""
    found = step.api_response
    if found is not None and not isinstance(found, type):
        found = found()
    return found


def _handler(workflow: Workflow, step: StepDef, detail_serializer: type):
    out = _response_serializer(step)

    def handler(self, request, pk=None):
        obj = _step_object(self, workflow, step)
        data = self._input(step.serializer) if step.serializer is not None else {}
        try:
            result = step.run(request.user, obj, data)
        except DjangoPermissionDenied as exc:
            audit_denial(request, action="change", target=request.path[:200], outcome="forbidden")
            raise exceptions.PermissionDenied(str(exc)) from None
        except DjangoValidationError as exc:
            if step.multipart and not hasattr(exc, "error_dict") and getattr(exc, "code", None) in ATTACHMENT_ERRORS:
                raise exceptions.ValidationError({step.api_file_field: list(exc.messages)}) from None
            raise
        if out is not None:
            return Response(out(result, context=self.get_serializer_context()).data,
                            status=step.api_status)
        return self.step_detail(obj.pk)

    handler.__name__ = step.path.replace("-", "_")
    handler.__doc__ = str(step.api_summary or step.label)
    body = step.api_request if step.api_request is not None else step.serializer
    responses: dict[int, Any] = {step.api_status: out or detail_serializer}
    if step.serializer is not None and "version" in step.serializer().fields:
        responses[409] = CONFLICT
    kwargs: dict[str, Any] = {"detail": True, "methods": ["post"], "url_path": step.path}
    if step.api_parsers:
        kwargs["parser_classes"] = list(step.api_parsers)
    decorated = action(**kwargs)(handler)
    return extend_schema(request=body, responses=responses, summary=step.api_summary or step.label)(decorated)


def add_step_actions(viewset: type, workflow: Workflow, *, detail_serializer: type) -> type:
    """Give ``viewset`` one POST action per declared API step of ``workflow`` (before the router sees it).

    The viewset provides ``step_queryset()`` (what the step reads of the record) and ``step_detail(pk)``
    (the answer after a step); ``_input`` comes from core.api.GatedQuerysetMixin. A viewset whose
    records a role without the view permission must not learn about sets ``step_role_refusal = False``
    (404 for them too, instead of 403).
    """
    for step in workflow:
        if not step.api:
            continue
        name = step.path.replace("-", "_")
        if name in viewset.__dict__:
            raise ValueError(f"{viewset.__name__}.{name} exists: the step {step.key!r} needs another api_path")
        setattr(viewset, name, _handler(workflow, step, detail_serializer))
    return viewset

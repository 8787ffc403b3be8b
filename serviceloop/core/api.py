"""API building blocks: the access gate for viewsets, writes through services, errors, attachments.

Every viewset in /api/v1/ derives from these classes:
- lists start from ``Model.objects.restrict(user, "view")``; one record is fetched with
  ``get_for_user`` (invisible -> 404, visible but not allowed -> 403, with an audit row);
- writes call the app's service (``save_service``), which validates with ``full_clean`` and
  records a timeline event; Django's ValidationError becomes a 400 with field errors and a
  stale ``version`` a 409;
- a foreign key may only point at records the caller may see (``GatedRelatedField``), and a
  record may not be written to a place where its writer could no longer see it;
- bad input is a 400 with a message, never a 500: a record id (in a body or a path) is a whole number
  (``RecordRelatedField``, ``record_id_from_path``), a JSON body nested too deeply is refused
  (``core.parsers.JSONParser``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, filters, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from .access import audit_denial, get_for_user, require_model_perm
from .concurrency import StaleEditError
from .downloads import file_download
from .fastpaths import gated
from .models import Attachment
from .renamed import RenamedParamsFilterBackend, current_names
from .timeline import record_event

ACTION_FOR_METHOD = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "PUT": "change", "PATCH": "change",
                     "DELETE": "delete", "POST": "add"}
NON_FIELD = api_settings.NON_FIELD_ERRORS_KEY
ID_PATTERN = "[0-9]{1,18}"  # record ids in URLs: digits only, within a 64-bit integer
# what the routes take where a record id goes: anything up to the next slash, so that "1.5" or "abc"
# reaches the view and is answered with a 400 saying what a record id is (not an anonymous 404)
ID_ROUTE = "[^/]+"
# Dates outside this range are typing errors, and would overflow the warranty arithmetic.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("This record was changed by someone else.")
    default_code = "conflict"


def _django_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if not hasattr(exc, "error_dict"):
        return {NON_FIELD: list(exc.messages)}
    return {(NON_FIELD if key == "__all__" else key): messages for key, messages in exc.message_dict.items()}


# --- input: JSON bodies and record ids -----------------------------------------------------------

_WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]{1,19}\s*")
RECORD_ID_MESSAGE = gettext_lazy("A record id is a whole number, such as 42.")


def whole_number(value: Any) -> int | None:
    """The whole number ``value`` stands for (42, "42", 42.0), or None: fractions (1.5, "1.5"), words,
    booleans, empty values. Used for record ids, which were taken as int(1.5) == 1 before."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None  # also None for inf and nan
    if isinstance(value, Decimal):
        return int(value) if value.is_finite() and value == value.to_integral_value() else None
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value):
        return int(value)
    return None


class BadRecordId(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = RECORD_ID_MESSAGE
    default_code = "invalid_id"


def record_id_from_path(value: Any) -> int:
    """The record id in a URL (``ID_ROUTE``): digits only, else a 400 that says what a record id is."""
    if not isinstance(value, str) or not re.fullmatch(ID_PATTERN, value):
        raise BadRecordId()
    return int(value)


def exception_handler(exc: Exception, context: dict[str, Any]):
    request = context.get("request")
    if isinstance(exc, StaleEditError):
        exc = Conflict(detail=exc.messages[0], code="stale")
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=_django_errors(exc))
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = Conflict(detail=_("This record cannot be deleted because other records refer to it."))
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed) and request is not None:
        audit_denial(request, action=ACTION_FOR_METHOD.get(request.method, "view"), target=request.path,
                     outcome="unauthenticated", user=None)
    return drf_exception_handler(exc, context)


def _require(request, model: type[models.Model], action_name: str) -> None:
    """403 (with an audit row) unless the role may ``action_name`` records of ``model``."""
    try:
        require_model_perm(request, model, action_name)
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from None


# --- filters ---------------------------------------------------------------------------------


def _reject_nul(request, name: str) -> None:
    if "\x00" in request.query_params.get(name, ""):
        raise exceptions.ValidationError({name: [_("Null characters are not allowed.")]})


class GatedSearchFilter(filters.SearchFilter):
    """``?search=``: the view's ``search_function(queryset, text)`` (a selector) when it has one."""

    def filter_queryset(self, request, queryset, view):
        _reject_nul(request, self.search_param)
        search = getattr(view, "search_function", None)
        if search is None:
            return super().filter_queryset(request, queryset, view)
        text = request.query_params.get(self.search_param, "").strip()[:100]
        return search(queryset, text) if text else queryset


class AllowListOrderingFilter(filters.OrderingFilter):
    """``?ordering=``: only the fields the view allow-lists; the schema lists them."""

    def filter_queryset(self, request, queryset, view):
        _reject_nul(request, self.ordering_param)
        return super().filter_queryset(request, queryset, view)

    def get_ordering(self, request, queryset, view):
        """The chosen order, then the id: pages stay stable when the sort key repeats."""
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if ordering and not any(term.lstrip("-") in ("pk", "id") for term in ordering):
            ordering.append("-pk" if ordering[0].startswith("-") else "pk")
        return ordering

    def get_schema_operation_parameters(self, view):
        fields = list(getattr(view, "ordering_fields", None) or [])
        if not fields:
            return []
        choices = [value for name in fields for value in (name, f"-{name}")]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": _("Sort by these fields; a leading '-' sorts descending."),
                "schema": {"type": "array", "items": {"type": "string", "enum": choices}},
                "style": "form",
                "explode": False,
            }
        ]


def visible(model: type[models.Model]) -> Callable[[Any], models.QuerySet]:
    """A django-filter ``queryset`` callable: only records the requesting user may see."""

    def queryset(request: Any) -> models.QuerySet:
        user = getattr(request, "user", None)
        if user is None:
            return model._default_manager.none()
        return model._default_manager.restrict(user, "view")

    return queryset


# --- serializers -----------------------------------------------------------------------------


class PlausibleDateField(serializers.DateField):
    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not EARLIEST_DATE <= parsed <= LATEST_DATE:
            raise serializers.ValidationError(
                _("Enter a date between %(min)s and %(max)s.")
                % {"min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()},
                code="range",
            )
        return parsed


class RecordRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key given as a record id, which is a whole number: 1.5 or "1.5" is refused with a
    message (DRF's field took 1.5 as record 1), "42" and 42 are record 42."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "not_a_record_id": RECORD_ID_MESSAGE,
    }

    def record_id(self, data: Any) -> int:
        number = whole_number(data)
        if number is None:
            self.fail("not_a_record_id")
        return number

    def to_internal_value(self, data):
        return super().to_internal_value(self.record_id(data))


class GatedRelatedField(RecordRelatedField):
    """A foreign key the caller may only point at records they can see."""

    def get_queryset(self):
        qs = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return qs.none()
        return qs.restrict(request.user, "view")

    def to_internal_value(self, data):
        lookup = self._compiled_lookup()
        if lookup is None:
            return super().to_internal_value(data)
        # what ``get_queryset().get(pk=data)`` does, without building and compiling the query each time
        return gated.to_internal_value(self, lookup, self.record_id(data))

    def _compiled_lookup(self) -> gated.GatedLookup | None:
        """The compiled lookup (core/fastpaths/gated.py); None: the plain ORM lookup."""
        return gated.lookup_for(self, GatedRelatedField.get_queryset)


class VersionedModelSerializer(serializers.ModelSerializer):
    """Carries ``version`` for optimistic locking: send back the version you read when updating."""

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping,
                                models.DateField: PlausibleDateField}
    serializer_related_field = RecordRelatedField

    version = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1,
        help_text=gettext_lazy("The version you read; an update of a record changed since is refused (409). "
                               "Leave it out to overwrite the current version."),
    )


# --- schema ----------------------------------------------------------------------------------

DETAIL_SCHEMA = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Messages per field; non_field_errors for the record as a whole.",
    "additionalProperties": {},
}


def error_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


class GatedAutoSchema(AutoSchema):
    """Integer record ids, a tag per resource, and the refusals every gated operation can answer with."""

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["schema"].get("pattern") in ("^" + ID_PATTERN + "$", "^" + ID_ROUTE + "$"):
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}
        return parameters

    def get_tags(self):
        tokens = [t for t in self.path.split("/") if t and not t.startswith("{")]
        if tokens[:2] == ["api", "v1"] and len(tokens) > 2:
            return [tokens[2]]
        return super().get_tags()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        has_body = self.method in ("POST", "PUT", "PATCH")
        errors: dict[str, dict[str, Any]] = {}
        if has_body or self.method == "GET" or "{" in self.path:
            errors["400"] = error_response("Invalid input.", FIELD_ERRORS_SCHEMA)
        errors["403"] = error_response("Not signed in, or the role does not allow this.", DETAIL_SCHEMA)
        if "{" in self.path:
            errors["404"] = error_response("No such record, or the caller may not see it.", DETAIL_SCHEMA)
        if self.method in ("PUT", "PATCH"):
            errors["409"] = error_response("The record was changed since the version sent.", DETAIL_SCHEMA)
        if self.method == "DELETE":
            errors["409"] = error_response("Other records refer to this record.", DETAIL_SCHEMA)
        for code, body in errors.items():
            responses.setdefault(code, body)
        return responses


# --- viewsets --------------------------------------------------------------------------------


class RecordIdInPathMixin:
    """The record id of a detail route (``ID_ROUTE``) is checked before any handler or step runs:
    "1.5" or "abc" is a 400 saying what a record id is."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        name = self.lookup_url_kwarg or self.lookup_field
        if name in self.kwargs:
            self.kwargs[name] = str(record_id_from_path(self.kwargs[name]))


class GatedQuerysetMixin(RecordIdInPathMixin):
    """Every list and object goes through ``restrict``; writes need the role's permission."""

    model: Any = None
    schema = GatedAutoSchema()
    lookup_value_regex = ID_ROUTE
    filter_backends = [RenamedParamsFilterBackend, GatedSearchFilter, AllowListOrderingFilter]
    ordering_fields: list[str] = []

    def base_queryset(self) -> models.QuerySet:
        return self.model._default_manager.all()

    def get_queryset(self):
        return self.base_queryset().restrict(self.request.user, "view")

    def get_object(self):
        action_name = ACTION_FOR_METHOD.get(self.request.method, "view")
        lookup = {self.lookup_field: self.kwargs[self.lookup_url_kwarg or self.lookup_field]}
        try:
            obj = get_for_user(self.request, self.model, action_name, queryset=self.base_queryset(), **lookup)
        except Http404:
            raise exceptions.NotFound() from None
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        self.check_object_permissions(self.request, obj)
        return obj

    def _input(self, serializer_class: type) -> dict[str, Any]:
        """The request body checked by ``serializer_class`` (invalid: a 400 with the field errors)."""
        payload = serializer_class(data=self.request.data, context=self.get_serializer_context())
        payload.initial_data = current_names(payload.initial_data, payload.fields)
        payload.is_valid(raise_exception=True)
        return dict(payload.validated_data)


class GatedReadOnlyViewSet(GatedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class GatedModelViewSet(GatedQuerysetMixin, viewsets.ModelViewSet):
    """Reads through the gate; writes through ``save_service``.

    ``save_service(*, user, instance, expected_version, **extra)`` is the app's service function;
    ``service_fields`` are serializer fields passed to it as keyword arguments (nested lines,
    covered units) instead of being set on the instance.
    """

    save_service: Callable[..., Any]
    service_fields: tuple[str, ...] = ()
    # where a "you could no longer see this record" error is shown
    scope_error_field: str = NON_FIELD

    def create(self, request, *args, **kwargs):
        _require(request, self.model, "add")
        return super().create(request, *args, **kwargs)

    def _split(self, serializer) -> tuple[dict[str, Any], dict[str, Any], int | None]:
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        extra = {name: data.pop(name) for name in self.service_fields if name in data}
        return data, extra, version

    def _save(self, instance: Any, *, expected_version: int | None, extra: dict[str, Any]) -> Any:
        user = self.request.user
        with transaction.atomic():
            obj = type(self).save_service(user=user, instance=instance, expected_version=expected_version, **extra)
            if not self.model._default_manager.restrict(user, "view").filter(pk=obj.pk).exists():
                raise exceptions.ValidationError(
                    {self.scope_error_field: [_("You may not place a record where you could no longer see it.")]}
                )
        return obj

    def perform_create(self, serializer):
        data, extra, _version = self._split(serializer)
        serializer.instance = self._save(self.model(**data), expected_version=None, extra=extra)

    def perform_update(self, serializer):
        data, extra, version = self._split(serializer)
        instance = serializer.instance
        for name, value in data.items():
            setattr(instance, name, value)
        expected = version if version is not None else instance.version
        serializer.instance = self._save(instance, expected_version=expected, extra=extra)

    def perform_destroy(self, instance):
        label = str(instance)
        with transaction.atomic():
            record_event(instance, actor=self.request.user, verb="deleted", note=label)
            instance.delete()


# --- attachments -----------------------------------------------------------------------------


def _subject_model(label: str) -> type[models.Model]:
    """``app_label.model`` -> a model guarded by the access gate, or a 400 on ``content_type``."""
    error = exceptions.ValidationError({"content_type": [_("Unknown record type.")]})
    app_label, _dot, model_name = label.strip().lower().partition(".")
    if not app_label or not model_name:
        raise error
    try:
        ct = ContentType.objects.get_by_natural_key(app_label, model_name)
    except ContentType.DoesNotExist:
        raise error from None
    model = ct.model_class()
    if model is None or not hasattr(model._default_manager, "restrict"):
        raise error
    return model


def _gated_subject(request, model: type[models.Model], object_id: int) -> models.Model:
    try:
        return get_for_user(request, model, "view", pk=object_id)
    except Http404:
        raise exceptions.NotFound() from None


class FirstRendererNegotiation(BaseContentNegotiation):
    """For file downloads: whatever the client accepts, errors are JSON and files are files."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AttachmentSerializer(serializers.ModelSerializer):
    content_type = serializers.SerializerMethodField(help_text=gettext_lazy("Record type, as app_label.model."))
    mime_type = serializers.CharField(source="content_type_sniffed", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "content_type", "object_id", "original_name", "mime_type", "size", "sha256",
                  "description", "uploaded_by", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_content_type(self, obj: Attachment) -> str:
        ct = ContentType.objects.get_for_id(obj.content_type_id)
        return f"{ct.app_label}.{ct.model}"

    def get_download_url(self, obj: Attachment) -> str:
        from django.urls import reverse

        return reverse("api:attachment-download", args=[obj.pk])


class AttachmentQuerySerializer(serializers.Serializer):
    content_type = serializers.CharField(max_length=100, help_text=gettext_lazy("Record type, e.g. assets.unit."))
    object_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text=gettext_lazy("Record id."))


class AttachmentUploadSerializer(AttachmentQuerySerializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(parameters=[AttachmentQuerySerializer],
                       description=gettext_lazy("The attachments of one record the caller may see.")),
    create=extend_schema(request={"multipart/form-data": AttachmentUploadSerializer},
                         responses={201: AttachmentSerializer}),
)
class AttachmentViewSet(RecordIdInPathMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Files on records. Each is listed, read and downloaded only through its record's gate."""

    serializer_class = AttachmentSerializer
    schema = GatedAutoSchema()
    queryset = Attachment.objects.none()
    lookup_value_regex = ID_ROUTE
    filter_backends: list[Any] = []
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Attachment.objects.none()
        params = AttachmentQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        model = _subject_model(params.validated_data["content_type"])
        subject = _gated_subject(self.request, model, params.validated_data["object_id"])
        _require(self.request, Attachment, "view")
        ct = ContentType.objects.get_for_model(subject, for_concrete_model=True)
        return Attachment.objects.filter(content_type=ct, object_id=subject.pk).order_by("-uploaded_at", "-id")

    def get_object(self):
        pk = self.kwargs[self.lookup_field]
        attachment = Attachment.objects.filter(pk=pk).first()
        if attachment is None:
            audit_denial(self.request, action="view", target=f"core.Attachment:{pk}", outcome="not_found")
            raise exceptions.NotFound()
        model = ContentType.objects.get_for_id(attachment.content_type_id).model_class()
        if model is None or not hasattr(model._default_manager, "restrict"):
            raise exceptions.NotFound()
        _gated_subject(self.request, model, attachment.object_id)
        _require(self.request, Attachment, "view")
        return attachment

    def create(self, request, *args, **kwargs):
        from .attachments import attachment_add

        upload = AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        model = _subject_model(data["content_type"])
        subject = _gated_subject(request, model, data["object_id"])
        _require(request, Attachment, "add")
        try:
            attachment = attachment_add(subject=subject, upload=data["file"], user=request.user,
                                        description=data.get("description", ""))
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"file": list(exc.messages)}) from None
        return Response(AttachmentSerializer(attachment, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], content_negotiation_class=FirstRendererNegotiation)
    def download(self, request, pk=None):
        attachment = self.get_object()
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise exceptions.NotFound(_("The file is missing from storage.")) from None
        return file_download(handle, attachment.original_name, attachment.content_type_sniffed)

"""Generic gated views: list (search, filters, sort, pages, Excel), detail, edit, delete.

Domain apps declare what is specific (ListSpec, form, service) and reuse these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, QuerySet, RestrictedError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views import View

from .access import get_for_user, require_model_perm
from .concurrency import StaleEditError
from .excel import export_rows
from .listing import ListPage, ListSpec
from .timeline import record_event


def save_or_reset(save: Callable[..., Any], instance: Any, **kwargs: Any) -> Any:
    """Call a service that saves ``instance``; if it refuses a new record, the instance is new again (its writes
    rolled back), so the edit form shows as a form for a new record."""
    creating = instance._state.adding
    try:
        return save(instance=instance, **kwargs)
    except Exception:
        if creating:
            instance.pk = None
            instance._state.adding = True
        raise


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def reversible(name: str | None) -> str | None:
    """The URL name if it can be reversed without arguments, else None (a link to a page not built yet)."""
    if not name:
        return None
    try:
        reverse(name)
    except NoReverseMatch:
        return None
    return name


@dataclass
class Step:
    """One button on a record's page (a request, a work order): a step the user may take now."""

    key: str
    label: str
    style: str = "outline-primary"
    direct: bool = False  # posts at once (no input needed)
    icon: str = ""
    url: str = ""  # a page of its own (assign, report, ...) instead of the step form
    geolocate: bool = False  # sends the browser's position


class GatedListView(LoginRequiredMixin, View):
    model: Any = None
    spec: ListSpec
    title: str = ""
    template_name = "core/list.html"
    create_url_name: str | None = None
    import_url_name: str | None = None
    export_name: str = "export"
    search_hint: Any = None  # placeholder of the search box (default: "Search")

    def base_queryset(self) -> QuerySet:
        return self.model._default_manager.all()

    def get_queryset(self) -> QuerySet:
        return self.base_queryset().restrict(self.request.user, "view")

    def extra_context(self) -> dict[str, Any]:
        """More for the template; ``action_url_name`` and ``action_label`` add a button to each row."""
        return {}

    def get_title(self) -> Any:
        return self.title

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_model_perm(request, self.model, "view")
        page = ListPage(request, self.get_queryset(), self.spec)
        title = self.get_title()
        if request.GET.get("export") == "xlsx":
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            return export_rows(str(title), self.spec.columns, page.queryset.iterator(chunk_size=2000),
                               f"{self.export_name}-{stamp}.xlsx")
        can_add = request.user.has_perm(f"{self.model._meta.app_label}.add_{self.model._meta.model_name}")
        context = {
            "page": page,
            "title": title,
            "create_url_name": reversible(self.create_url_name) if can_add else None,
            "import_url_name": reversible(self.import_url_name) if can_add else None,
            "search_hint": self.search_hint,
            **self.extra_context(),
        }
        template = "core/partials/list_table.html" if is_htmx(request) else self.template_name
        response = render(request, template, context)
        # the same URL answers a fragment or a page: caches (and the browser's back button) must tell them apart
        patch_vary_headers(response, ["HX-Request"])
        return response


class GatedDetailView(LoginRequiredMixin, View):
    model: Any = None
    template_name: str = ""

    def base_queryset(self) -> QuerySet:
        return self.model._default_manager.all()

    def get_context(self, obj: Any) -> dict[str, Any]:
        return {}

    def get(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        obj = get_for_user(request, self.model, "view", queryset=self.base_queryset(), pk=pk)
        meta = obj._meta
        context = {
            "object": obj,
            "can_change": request.user.has_perm(f"{meta.app_label}.change_{meta.model_name}")
            and self.model._default_manager.restrict(request.user, "change").filter(pk=obj.pk).exists(),
            "can_delete": request.user.has_perm(f"{meta.app_label}.delete_{meta.model_name}"),
            **record_panels(request, obj),
            **self.get_context(obj),
        }
        return render(request, self.template_name, context)


class GatedEditView(LoginRequiredMixin, View):
    """Create (no pk) or edit (pk) through a service function ``save(user=, instance=, form=)``."""

    model: Any = None
    form_class: Any = None
    template_name = "core/form.html"
    title_create: str = ""
    title_edit: str = ""
    save: Callable[..., Any]

    def get_instance(self, request: HttpRequest, pk: int | None) -> Any:
        if pk is None:
            require_model_perm(request, self.model, "add")
            return self.model()
        return get_for_user(request, self.model, "change", pk=pk)

    def form_kwargs(self, request: HttpRequest, instance: Any) -> dict[str, Any]:
        return {"instance": instance, "user": request.user}

    def success_url(self, obj: Any) -> str:
        return obj.get_absolute_url()

    def render_form(self, request: HttpRequest, form: Any, instance: Any, status: int = 200) -> HttpResponse:
        title = self.title_edit if instance.pk else self.title_create
        return render(request, self.template_name, {"form": form, "object": instance if instance.pk else None,
                                                    "title": title, **self.extra_context(instance)}, status=status)

    def extra_context(self, instance: Any) -> dict[str, Any]:
        return {}

    def get(self, request: HttpRequest, pk: int | None = None, **kwargs: Any) -> HttpResponse:
        instance = self.get_instance(request, pk)
        form = self.form_class(initial=self.initial(request), **self.form_kwargs(request, instance))
        return self.render_form(request, form, instance)

    def initial(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    def post(self, request: HttpRequest, pk: int | None = None, **kwargs: Any) -> HttpResponse:
        instance = self.get_instance(request, pk)
        form = self.form_class(request.POST, request.FILES, **self.form_kwargs(request, instance))
        if form.is_valid():
            creating = form.instance._state.adding
            try:
                obj = type(self).save(user=request.user, instance=form.instance, form=form)
            except ValidationError as exc:
                if creating:
                    # the service's writes were rolled back: the record is new again, not an edit
                    form.instance.pk = None
                    form.instance._state.adding = True
                if isinstance(exc, StaleEditError):
                    form.add_error(None, exc.messages[0])
                else:
                    _merge_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(self.success_url(obj))
        return self.render_form(request, form, instance, status=400)


def _merge_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class GatedDeleteView(LoginRequiredMixin, View):
    """GET shows a confirmation page; POST deletes. Protected records get a clear refusal."""

    model: Any = None
    template_name = "core/confirm_delete.html"
    success_url_name: str = "home"

    def get(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        obj = get_for_user(request, self.model, "delete", pk=pk)
        return render(request, self.template_name, {"object": obj, "model_name": obj._meta.verbose_name})

    def post(self, request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponse:
        obj = get_for_user(request, self.model, "delete", pk=pk)
        label = str(obj)
        try:
            with transaction.atomic():
                record_event(obj, actor=request.user, verb="deleted", note=label)
                obj.delete()
        except (ProtectedError, RestrictedError):
            messages.error(
                request,
                _("%(name)s cannot be deleted because other records refer to it.") % {"name": label},
            )
            return redirect(obj.get_absolute_url())
        messages.success(request, _("%(name)s was deleted.") % {"name": label})
        return redirect(self.success_url_name)


def record_panels(request: HttpRequest, obj: Any) -> dict[str, Any]:
    """Timeline, attachments and history of a record, for its detail page."""
    from django.contrib.contenttypes.models import ContentType

    from .attachments import attachments_for
    from .models import Attachment
    from .timeline import events_for

    history = getattr(obj, "history", None)
    return {
        "events": events_for(obj)[:50],
        "attachments": attachments_for(obj) if request.user.has_perm("core.view_attachment") else [],
        "can_attach": request.user.has_perm("core.add_attachment"),
        "attach_ct": ContentType.objects.get_for_model(obj, for_concrete_model=True).pk,
        "attach_pk": obj.pk,
        "history": history.select_related("history_user")[:20] if history is not None else [],
        "attachment_model": Attachment,
    }

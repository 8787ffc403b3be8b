"""Declared workflow steps: one entry per step serves every place that step appears.

A workflow model (a service request, a work order, a help request, ...) lists its steps once, in its
app's ``steps.py``, as ``StepDef`` entries of a ``Workflow``::

    REQUEST_STEPS = Workflow(ServiceRequest, url_name="service:step")
    REQUEST_STEPS.add(StepDef(
        "resolve", gettext_lazy("Resolve"), style="success", icon="check2",
        form=forms.ResolveForm, serializer=api_inputs.ResolveSerializer,
        blocker=rules.resolve_blocker,                     # (user, request) -> Blocked | None
        run=lambda actor, obj, d: services.request_resolve(
            actor=actor, service_request=obj, resolution=d["resolution"], expected_version=d.get("version")),
    ))

From that one entry:
- the step page (``StepView``: GET shows the form, POST validates and runs the service),
- the buttons on the record's page (``Workflow.buttons``),
- the API action endpoint (``step_actions`` in ``core.step_api``: ``POST .../<id>/<api_path>/``),
- the API's list of the steps the caller may take now (``Workflow.allowed_keys``)
all come, so the page and the API can never disagree about what is allowed.

The blocker lives with the services (``<app>/rules.py``) and says why a user may not take the step
on this record now: ``forbidden(...)`` for the role or the assignment (403), ``not_now(...)`` for the
record's state (400). The step's own service still validates its input and checks the rule again
inside its transaction (with the row locked); the blocker is what the pages and the API show and
what they refuse before running the service.

Other apps add steps to a workflow in their ``AppConfig.ready()`` (the follow-up call on a request
comes from ``feedback``, the new work order from ``workorders``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from .access import audit_denial, get_for_user
from .concurrency import StaleEditError
from .scoping import is_customer


@dataclass(frozen=True)
class Blocked:
    """Why a step is not open to this user on this record now."""

    reason: str
    forbidden: bool = False  # the role or the assignment (403); otherwise the record's state (400)

    def __str__(self) -> str:
        return str(self.reason)


def forbidden(reason: Any) -> Blocked:
    return Blocked(str(reason), forbidden=True)


def not_now(reason: Any) -> Blocked:
    return Blocked(str(reason), forbidden=False)


Blocker = Callable[[Any, Any], "Blocked | None"]


def first_blocker(*checks: Callable[[], Blocked | None]) -> Blocked | None:
    """The first refusal of ``checks`` (called in order, lazily), or None."""
    for check in checks:
        found = check()
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class StepDef:
    """One workflow step, declared once."""

    key: str
    label: Any
    run: Callable[[Any, Any, dict[str, Any]], Any]  # (actor, obj, data) -> the service's result
    blocker: Blocker
    form: type | None = None  # the step page's form; None: a button that posts at once
    serializer: type | None = None  # the API input; None: no body
    gate: str = "change"  # the access gate's action for staff (core.access.get_for_user)
    customer_gate: str | None = None  # the gate's action for customers (None: as staff)
    style: str = "outline-primary"
    icon: str = ""
    customer_label: Any = None  # a customer takes the step with this one button (no form)
    posts_at_once: bool = False  # the button posts at once (the step page's form is all optional)
    page: str | None = None  # URL name of a page of its own (args: the record's pk) instead of the step form
    page_args: Callable[[Any], list[Any]] | None = None  # (obj) -> the page's URL arguments when not [obj.pk]
    api: bool = True  # False: the API offers this step elsewhere (its own endpoint or resource)
    api_path: str | None = None  # default: the key with dashes
    api_request: Any = None  # schema of the body when it is not just ``serializer`` (multipart)
    api_parsers: tuple | None = None
    api_response: type | None = None  # serializer of the service's result; None: the record's detail
    api_status: int = 200
    api_file_field: str = "file"  # the upload field that carries an attachment's refusal
    api_summary: Any = ""
    multipart: bool = False
    geolocate: bool = False
    danger: bool = False
    title: Any = None  # the step page's title when it is not the label
    initial: Callable[[Any, Any], dict[str, Any]] | None = None  # (user, obj) -> the form's initial values
    form_kwargs: Callable[[Any, Any], dict[str, Any]] | None = None  # (user, obj) -> more form arguments
    done: Callable[[dict[str, Any], Any], str] | None = None  # (data, result) -> the message after it

    @property
    def direct(self) -> bool:
        """A button that posts at once (no input)."""
        return self.page is None and (self.form is None or self.posts_at_once)

    def for_user(self, user: Any) -> StepDef:
        """The step as this user takes it (a customer: one button, no form)."""
        if self.customer_label is not None and is_customer(user):
            return replace(self, label=self.customer_label, form=None, style="success")
        return self

    @property
    def path(self) -> str:
        return self.api_path or self.key.replace("_", "-")

    def gate_for(self, user: Any) -> str:
        return self.customer_gate if (self.customer_gate and is_customer(user)) else self.gate


@dataclass
class Button:
    """A step button on a record's page."""

    key: str
    label: str
    style: str = "outline-primary"
    direct: bool = False  # posts at once (no input needed)
    icon: str = ""
    url: str = ""  # the page to open (the step form or the step's own page); empty for direct steps
    geolocate: bool = False  # sends the browser's position
    post_url: str = ""  # where a direct step posts


WORKFLOWS: list[Workflow] = []  # every declared workflow (the proof test walks them all)


@dataclass
class Workflow:
    """The declared steps of one model, in the order their buttons appear."""

    model: Any
    url_name: str | None  # the step page's URL name: (pk, step); None when every step has a page of its own
    steps: dict[str, StepDef] = field(default_factory=dict)

    def __post_init__(self) -> None:
        WORKFLOWS.append(self)

    def add(self, *steps: StepDef) -> Workflow:
        for step in steps:
            if step.key in self.steps:
                raise ValueError(f"step {step.key!r} is declared twice on {self.model.__name__}")
            self.steps[step.key] = step
        return self

    def __iter__(self):
        return iter(self.steps.values())

    def get(self, key: str) -> StepDef | None:
        return self.steps.get(key)

    def blocked(self, key: str, user: Any, obj: Any) -> Blocked | None:
        return self.steps[key].blocker(user, obj)

    def allowed(self, user: Any, obj: Any) -> list[StepDef]:
        return [s for s in self.steps.values() if s.blocker(user, obj) is None]

    def allowed_keys(self, user: Any, obj: Any) -> list[str]:
        return [s.key for s in self.allowed(user, obj)]

    def buttons(self, user: Any, obj: Any) -> list[Button]:
        found = []
        for s in (step.for_user(user) for step in self.allowed(user, obj)):
            if s.page:
                page_url = reverse(s.page, args=s.page_args(obj) if s.page_args else [obj.pk])
                step_url = ""
            else:
                page_url = step_url = reverse(self.url_name, args=[obj.pk, s.key])
            found.append(Button(
                key=s.key, label=str(s.label), style=s.style, direct=s.direct, icon=s.icon,
                url="" if s.direct else page_url,
                geolocate=s.geolocate, post_url=step_url if s.direct else "",
            ))
        return found

    def run(self, key: str, user: Any, obj: Any, data: dict[str, Any]) -> Any:
        """Refuse what the blocker refuses, else run the step's service."""
        step = self.steps[key]
        found = step.blocker(user, obj)
        if found is not None:
            if found.forbidden:
                raise PermissionDenied(found.reason)
            raise ValidationError(found.reason, code="blocked")
        return step.run(user, obj, data)


def merge_errors(form: Any, exc: ValidationError) -> None:
    """A service's messages next to their fields (or above the form); the typed input is kept."""
    if isinstance(exc, StaleEditError):
        form.add_error(None, exc.messages[0])
    elif hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class StepView(LoginRequiredMixin, View):
    """The page of one declared step: GET shows its small form, POST runs it and goes back.

    A step without a form is a button on the record's page: its POST runs at once, its GET asks to confirm.
    """

    workflow: Workflow
    template_name: str = "core/step.html"

    def get_queryset(self) -> Any:
        return None

    def back_url(self, obj: Any) -> str:
        return obj.get_absolute_url()

    def extra_context(self, obj: Any, step: StepDef) -> dict[str, Any]:
        return {}

    def _prepare(self, request: HttpRequest, pk: int, key: str) -> tuple[StepDef, Any]:
        step = self.workflow.get(key)
        if step is None or step.page is not None:
            raise Http404(_("No such step."))
        step = step.for_user(request.user)
        model = self.workflow.model
        obj = get_for_user(request, model, step.gate_for(request.user), pk=pk, queryset=self.get_queryset())
        found = step.blocker(request.user, obj)
        if found is not None and found.forbidden:
            audit_denial(request, action="change", target=f"{model._meta.label}:{obj.pk}", outcome="forbidden")
            raise PermissionDenied(found.reason)
        return step, obj

    def _form(self, request: HttpRequest, step: StepDef, obj: Any, bound: bool) -> Any:
        form = step_form(step, request, obj, bound=bound)
        if form is not None:
            self.prepare_form(form)
        return form

    def prepare_form(self, form: Any) -> None:
        """A hook to style the form."""

    def _render(self, request: HttpRequest, step: StepDef, obj: Any, form: Any, status: int) -> HttpResponse:
        context = {"object": obj, "form": form, "title": str(step.title or step.label), "step": step.key,
                   "multipart": step.multipart, "geolocate": step.geolocate, "danger": step.danger,
                   "back_url": self.back_url(obj), **self.extra_context(obj, step)}
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int, step: str) -> HttpResponse:
        decl, obj = self._prepare(request, pk, step)
        found = decl.blocker(request.user, obj)
        if found is not None:
            messages.error(request, found.reason)
            return redirect(self.back_url(obj))
        return self._render(request, decl, obj, self._form(request, decl, obj, bound=False), 200)

    def post(self, request: HttpRequest, pk: int, step: str) -> HttpResponse:
        decl, obj = self._prepare(request, pk, step)
        form = self._form(request, decl, obj, bound=True)
        if form is not None and not form.is_valid():
            return self._render(request, decl, obj, form, 400)
        data = dict(form.cleaned_data) if form is not None else {}
        if form is None and request.POST.get("version"):
            data["version"] = _int(request.POST.get("version"))
        try:
            result = self.workflow.run(decl.key, request.user, obj, data)
        except PermissionDenied:
            audit_denial(request, action="change", target=request.path[:200], outcome="forbidden")
            raise
        except ValidationError as exc:
            if form is None:
                messages.error(request, " ".join(exc.messages))
                return redirect(self.back_url(obj))
            merge_errors(form, exc)
            return self._render(request, decl, obj, form, 400)
        message = decl.done(data, result) if decl.done is not None else None
        messages.success(request, message or _("Done: %(step)s.") % {"step": decl.title or decl.label})
        return redirect(self.back_url(obj))


def step_form(step: StepDef, request: HttpRequest, obj: Any, *, bound: bool, auto_id: str = "id_%s") -> Any:
    """The step's form for this user and record (bound to the POST when ``bound``); None without one."""
    if step.form is None:
        return None
    initial = {"version": getattr(obj, "version", None)}
    if step.initial is not None:
        initial.update(step.initial(request.user, obj))
    kwargs = step.form_kwargs(request.user, obj) if step.form_kwargs is not None else {}
    data = files = None
    if bound:
        data, files = request.POST, (request.FILES if step.multipart else None)
    return step.form(data, files, initial=initial, auto_id=auto_id, **kwargs)


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def keys_of(steps: Iterable[StepDef]) -> list[str]:
    return [s.key for s in steps]

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_POST

from .access import audit_denial, get_for_user, require_model_perm
from .attachments import attachment_add
from .downloads import file_download
from .forms import AttachmentForm, RateLimitedAuthenticationForm
from .models import Attachment, AuthorizationFailure, WorkerHeartbeat
from .notifications import outbox_state


class ServiceLoopLoginView(LoginView):
    template_name = "core/login.html"
    authentication_form = RateLimitedAuthenticationForm
    redirect_authenticated_user = True


@login_required
def status(request: HttpRequest) -> HttpResponse:
    """System status for administrators: worker heartbeat, database, queue."""
    require_model_perm(request, WorkerHeartbeat, "view")
    beat = WorkerHeartbeat.objects.filter(name="huey").first()
    age = (timezone.now() - beat.beat_at).total_seconds() if beat else None
    context = {
        "beat": beat,
        "beat_ok": age is not None and age < 180,
        "beat_age": int(age) if age is not None else None,
        "database": connection.vendor,
        "queue": "Redis" if settings.REDIS_URL else "SQLite",
        "failures": AuthorizationFailure.objects.select_related("user")[:20],
        "outbox": outbox_state(),
        "warnings": status_warnings(),
    }
    return render(request, "core/status.html", context)


def status_warnings() -> list[str]:
    """Warnings from other parts of the system; empty when all is well."""
    from .models import CalendarDay
    from .workcalendar import calendar_warnings

    today = timezone.localdate()
    entered = CalendarDay.objects.filter(date__year__in=[today.year, today.year + 1]).dates("date", "year")
    return calendar_warnings(today, entered_years=[d.year for d in entered])


def _subject(request: HttpRequest, content_type_id: int, object_id: int) -> tuple[type, int]:
    """The model of an attachment's record, if it is a record type that goes through the gate."""
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist:
        model = None
    if model is None or not hasattr(model._default_manager, "restrict"):
        audit_denial(request, action="view", target=f"contenttype:{content_type_id}:{object_id}", outcome="not_found")
        raise Http404(_("No such record, or you may not see it."))
    return model, object_id


@login_required
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = Attachment.objects.filter(pk=pk).first()
    if attachment is None:
        audit_denial(request, action="view", target=f"core.Attachment:{pk}", outcome="not_found")
        raise Http404(_("No such record, or you may not see it."))
    model, object_id = _subject(request, attachment.content_type_id, attachment.object_id)
    get_for_user(request, model, "view", pk=object_id)
    require_model_perm(request, Attachment, "view")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage.")) from None
    return file_download(handle, attachment.original_name, attachment.content_type_sniffed)


@login_required
@require_POST
def attachment_upload(request: HttpRequest, content_type_id: int, object_id: int) -> HttpResponse:
    model, object_id = _subject(request, content_type_id, object_id)
    subject = get_for_user(request, model, "view", pk=object_id)
    require_model_perm(request, Attachment, "add")
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment_add(
                subject=subject, upload=form.cleaned_data["file"], user=request.user,
                description=form.cleaned_data["description"],
            )
            messages.success(request, _("File attached."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


# The site's error pages. Under /api/ they answer JSON ({"detail": ...}) like the API's own errors: an
# unknown API address, a request Django refuses before any view runs (a bad Host header, a body too
# large), or a server error would otherwise send an HTML page to a program.

def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _api_error(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False})


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(_("The request was refused as malformed."), 400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(str(exception or "") or _("Your role does not allow this."), 403)
    return render(request, "403.html", {"message": str(exception or "")}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(_("There is no such address in the API. The addresses are listed at /api/docs/."), 404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _api_error(_("Something went wrong and has been logged. Please try again later."), 500)
    return render(request, "500.html", status=500)


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")



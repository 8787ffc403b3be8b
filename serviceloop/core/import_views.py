"""Excel import pages: template download, upload with a row-by-row error report, the marked-up copy."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from . import registry
from .access import audit_denial, require_model_perm
from .downloads import file_download
from .excel import XLSX_MIME, xlsx_response
from .imports import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    Choice,
    ImportContext,
    ImportResult,
    ImportSpec,
    build_template,
    open_report,
    run_import,
    yes_no,
)

ERRORS_SHOWN = 500  # more are in the marked-up copy of the file


def get_spec(name: str) -> ImportSpec:
    """The import an app registered under ``name`` (core.registry.add_import, in its AppConfig.ready)."""
    spec = registry.import_spec(name)
    if spec is None:
        raise Http404
    return spec


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={
            "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "class": "form-control",
        }),
    )
    update = forms.BooleanField(
        label=gettext_lazy("Update existing records"), required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, spec: ImportSpec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not spec.can_update:
            del self.fields["update"]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB. Split it into several files.")
                % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


def _column_rows(spec: ImportSpec) -> list[dict[str, Any]]:
    """The columns as the page explains them (allowed values only for fixed choices)."""
    out = []
    for column in spec.columns:
        allowed = column.parser.labels() if isinstance(column.parser, Choice) else []
        out.append({"label": column.label, "required": column.required, "required_text": yes_no(column.required),
                    "format": column.describe(), "allowed": allowed})
    return out


def _render(request: HttpRequest, spec: ImportSpec, form: ImportForm, result: ImportResult | None = None,
            status: int = 200) -> HttpResponse:
    context = {
        "spec": spec,
        "title": spec.title,
        "form": form,
        "result": result,
        "errors_shown": result.errors[:ERRORS_SHOWN] if result else [],
        "errors_hidden": max(0, len(result.errors) - ERRORS_SHOWN) if result else 0,
        "columns": _column_rows(spec),
        "rules": [str(note) for note in spec.notes],
        "template_url": reverse(f"imports:{spec.name}_template"),
        "list_url": reverse(spec.list_url_name) if spec.list_url_name else None,
        "report_url": reverse("imports:report", args=[result.report_token]) if result and result.report_token else None,
        "max_rows": f"{MAX_ROWS:,}",
        "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    return render(request, "core/import.html", context, status=status)


def summary(result: ImportResult) -> str:
    return ngettext(
        "%(rows)s row imported (%(created)s created, %(updated)s updated).",
        "%(rows)s rows imported (%(created)s created, %(updated)s updated).",
        result.rows,
    ) % {"rows": result.rows, "created": result.created, "updated": result.updated}


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest, name: str) -> HttpResponse:
    spec = get_spec(name)
    require_model_perm(request, spec.model, "add")
    if request.method != "POST":
        return _render(request, spec, ImportForm(spec=spec))
    form = ImportForm(request.POST, request.FILES, spec=spec)
    if not form.is_valid():
        return _render(request, spec, form, status=400)
    result = run_import(spec, user=request.user, upload=form.cleaned_data["file"],
                        update=bool(form.cleaned_data.get("update")))
    if result.file_errors:
        for message in result.file_errors:
            form.add_error("file", message)
        return _render(request, spec, form, result=None, status=400)
    if not result.ok:
        return _render(request, spec, form, result=result, status=400)
    messages.success(request, " ".join([summary(result), *result.details]))
    return redirect(request.path)


@login_required
@require_GET
def template_download(request: HttpRequest, name: str) -> HttpResponse:
    spec = get_spec(name)
    require_model_perm(request, spec.model, "add")
    workbook = build_template(spec, ImportContext(user=request.user))
    return xlsx_response(workbook, f"{spec.name}-import-template.xlsx")


@login_required
@require_GET
def report_download(request: HttpRequest, token: str) -> HttpResponse:
    """The uploaded sheet with the errors marked: only for the user who uploaded it, for a day."""
    found = open_report(token, request.user)
    if found is None:
        audit_denial(request, action="view", target="import-report", outcome="not_found")
        raise Http404(_("This error report has expired or is not yours. Upload the file again."))
    handle, kind = found
    return file_download(handle, f"{kind}-import-errors.xlsx", XLSX_MIME)

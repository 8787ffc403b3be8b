"""The service report (售后服务记录单): prepare, update, sign (signature, signed PDF, hashes) and
verify, its canonical content and SHA-256, the signature as a data URL; the major-fault work report
(售后服务工作报告书, ``work_report_save``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from serviceloop.core.concurrency import save_versioned
from serviceloop.core.messages import join, message
from serviceloop.core.notifications import customer_users, notify, users_with_role
from serviceloop.core.numbering import next_number
from serviceloop.core.timeline import record_event
from serviceloop.service.choices import RequestStatus
from serviceloop.service.services import request_confirm_resolution, request_resolve

from ..choices import ReportStatus, WorkResult
from ..models import LabourEntry, ServiceReport, TestRecord, Visit, WorkOrder, WorkReport
from ..signatures import png_data_url, signature_png
from .common import S, _has, _lock, _require_status, _text, _user
from .work_orders import PERM_APPROVE, PERM_CHANGE, _require_assignee, is_assigned, team

# ---------------------------------------------------------------- service report (售后服务记录单)


def _tests_snapshot(work_order: WorkOrder) -> list[dict[str, Any]]:
    return [
        {"item": t.item, "result": t.result, "passed": t.passed}
        for t in TestRecord.objects.filter(work_order=work_order).order_by("recorded_at", "id")
    ]


def _fault_text(work_order: WorkOrder) -> str:
    service_request = work_order.service_request
    return "\n".join(filter(None, [service_request.title, service_request.description]))


def _refresh_from_work_order(report: ServiceReport, work_order: WorkOrder) -> None:
    report.tests = _tests_snapshot(work_order)
    report.labour_hours = (
        LabourEntry.objects.filter(work_order=work_order).aggregate(total=Sum("hours"))["total"] or Decimal("0")
    )
    report.engineers = "、".join(str(a.engineer) for a in team(work_order))[:300]
    report.result = work_order.result


@transaction.atomic
def service_report_prepare(
    *, actor: Any, work_order: WorkOrder, fault_description: str | None = None, work_done: str | None = None,
    parts_used: str | None = None,
) -> ServiceReport:
    """Fill the service report from the work order (fault, work done, tests, parts, hours, result); calling
    it again refreshes the draft. Text the engineer edited is kept unless given anew."""
    work_order = _lock(work_order)
    _require_assignee(actor, work_order)
    _require_status(work_order, (S.ON_SITE, S.COMPLETED), _("The service report is written on site."))
    report = ServiceReport.objects.select_for_update().filter(work_order=work_order).first()
    creating = report is None
    if report is None:
        report = ServiceReport(number=next_number("PSR"), work_order=work_order)
    elif report.is_signed:
        raise ValidationError(_("The service report is already signed."), code="signed")
    for name, given, default in (
        ("fault_description", fault_description, _fault_text(work_order)),
        ("work_done", work_done, work_order.work_done),
        ("parts_used", parts_used, work_order.parts_used),
    ):
        if given is not None:
            setattr(report, name, _text(given))
        elif creating or not getattr(report, name):
            setattr(report, name, default)
    _refresh_from_work_order(report, work_order)
    save_versioned(report, expected_version=None, user=actor)
    if creating:
        record_event(report, actor=actor, verb="created", to_state=report.status)
    record_event(work_order, actor=actor, verb="report_prepared", note=report.number)
    return report


@transaction.atomic
def service_report_update(
    *, actor: Any, report: ServiceReport, fault_description: str | None = None, work_done: str | None = None,
    parts_used: str | None = None, expected_version: int | None = None,
) -> ServiceReport:
    """Edit the text of a draft report before the customer signs."""
    report = ServiceReport.objects.select_for_update(of=("self",)).select_related("work_order").get(pk=report.pk)
    _require_assignee(actor, report.work_order)
    if report.is_signed:
        raise ValidationError(_("The service report is already signed."), code="signed")
    for name, value in (("fault_description", fault_description), ("work_done", work_done),
                        ("parts_used", parts_used)):
        if value is not None:
            setattr(report, name, _text(value))
    save_versioned(report, expected_version=expected_version, user=actor)
    record_event(report, actor=actor, verb="updated")
    return report


def report_canonical(report: ServiceReport) -> bytes:
    """The report's content as canonical JSON (sorted keys, UTF-8): what the printed SHA-256 covers."""
    work_order = report.work_order
    unit = work_order.unit
    signed_at = report.signed_at.astimezone(dt.UTC).isoformat() if report.signed_at else None
    content = {
        "report": report.number,
        "work_order": work_order.number,
        "request": work_order.service_request.number,  # key of the signed content: unchanged (stored hashes)
        "customer": [work_order.customer.code, work_order.customer.name],
        "unit": unit.serial_number if unit is not None else None,
        "fault": report.fault_description,
        "work_done": report.work_done,
        "tests": report.tests,
        "parts_used": report.parts_used,
        "labour_hours": str(report.labour_hours),
        "engineers": report.engineers,
        "result": report.result,
        "signer_name": report.signer_name,
        "signed_at": signed_at,
        "satisfied": report.satisfied,
        "unsatisfied_reason": report.unsatisfied_reason,
        "signature_sha256": report.signature_sha256,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def report_content_sha256(report: ServiceReport) -> str:
    return hashlib.sha256(report_canonical(report)).hexdigest()


def _check_out_everyone(actor: Any, work_order: WorkOrder, at: dt.datetime) -> list[Visit]:
    """The customer's signature ends the job on site: every visit still open on this work order is checked
    out at the signing time (the engineers leave with the signed report), so the report carries its end
    time and nobody is left "on site" when the work order closes."""
    open_visits = list(Visit.objects.select_for_update().filter(work_order=work_order, check_out_at__isnull=True)
                       .select_related("engineer"))
    for visit in open_visits:
        visit.check_out_at = max(at, visit.check_in_at)
        visit.save(update_fields=["check_out_at"])
        record_event(work_order, actor=actor, verb="checked_out", note=_("with the customer's signature"),
                     data={"visit": visit.pk, "engineer": visit.engineer_id, "by_signature": True})
    return open_visits


@transaction.atomic
def service_report_sign(
    *, actor: Any, report: ServiceReport, signature_data_url: str, signer_name: str, satisfied: bool,
    unsatisfied_reason: str = "",
) -> ServiceReport:
    """The customer signs the report on the engineer's phone (a PNG data URL from the signature pad).

    The signature is validated strictly and stored; the signed PDF is rendered (company header, the report,
    the signature, signing time and the SHA-256 of the report's content) and stored with the SHA-256 of its
    bytes, which ``service_report_verify`` checks. A "fixed" job resolves the request, and a satisfied
    customer's signature confirms the resolution. The customer and the service desk are told.
    """
    report = ServiceReport.objects.select_for_update(of=("self",)).get(pk=report.pk)
    work_order = _lock(report.work_order)
    report.work_order = work_order
    _require_assignee(actor, work_order)
    if report.is_signed:
        raise ValidationError(_("The service report is already signed."), code="signed")
    if work_order.status != S.COMPLETED:
        raise ValidationError(_("Record the result of the work before the customer signs."), code="wrong_status")
    errors: dict[str, list[str]] = {}
    signer_name = _text(signer_name)
    if not signer_name:
        errors["signer_name"] = [_("Write the name of the person who signs.")]
    elif len(signer_name) > 100:
        errors["signer_name"] = [_("At most 100 characters.")]
    if not isinstance(satisfied, bool):
        errors["satisfied"] = [_("Is the customer satisfied?")]
    unsatisfied_reason = _text(unsatisfied_reason)
    if satisfied is False and not unsatisfied_reason:
        errors["unsatisfied_reason"] = [_("The customer is not satisfied: write why.")]
    try:
        png = signature_png(signature_data_url)
    except ValidationError as exc:
        errors["signature"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    _check_out_everyone(actor, work_order, now)  # the signed report ends the visit: it shows the end time
    _refresh_from_work_order(report, work_order)
    report.signer_name = signer_name
    report.satisfied = satisfied
    report.unsatisfied_reason = unsatisfied_reason if not satisfied else ""
    report.signed_at = now
    report.signed_on_device_of = _user(actor)
    report.signature_sha256 = hashlib.sha256(png).hexdigest()
    report.signature.save("signature.png", ContentFile(png), save=False)
    report.content_sha256 = report_content_sha256(report)
    report.status = ReportStatus.SIGNED
    from ..documents import service_report_pdf

    pdf = service_report_pdf(report, signature_png_bytes=png)
    report.pdf.save("report.pdf", ContentFile(pdf), save=False)
    report.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    save_versioned(report, expected_version=None, user=actor)
    record_event(report, actor=actor, verb="report_signed", from_state=ReportStatus.DRAFT, to_state=report.status,
                 note=signer_name, data={"satisfied": satisfied, "pdf_sha256": report.pdf_sha256})
    record_event(work_order, actor=actor, verb="report_signed", note=f"{report.number} {signer_name}",
                 data={"report": report.pk, "satisfied": satisfied})
    service_request = work_order.service_request
    if work_order.result == WorkResult.FIXED:
        service_request.refresh_from_db()
        if service_request.status == RequestStatus.IN_PROGRESS:
            service_request = request_resolve(actor=actor, service_request=service_request, resolution=report.work_done or work_order.work_done)
        if satisfied and service_request.status == RequestStatus.RESOLVED and service_request.resolution_confirmed_at is None:
            request_confirm_resolution(actor=actor, service_request=service_request, how="signature", confirmed_by_name=signer_name)
    subject = message(gettext_noop("Service report %(number)s signed"), number=report.number)
    body: Any = message(gettext_noop("%(customer)s, work order %(wo)s, signed by %(name)s."),
                        customer=work_order.customer.name, wo=work_order.number, name=signer_name)
    if not satisfied:
        body = join(body, message(gettext_noop("Not satisfied: %(reason)s"), reason=unsatisfied_reason), sep=" ")
    notify(recipients=customer_users(work_order.customer) + users_with_role("service_desk"), kind="report_signed",
           obj=report, subject=subject, body=body)
    return report


def service_report_verify(pdf_bytes: bytes) -> ServiceReport | None:
    """The signed report whose stored PDF has exactly these bytes, or None (one changed byte: None)."""
    if not pdf_bytes:
        return None
    digest = hashlib.sha256(bytes(pdf_bytes)).hexdigest()
    return (
        ServiceReport.objects.filter(pdf_sha256=digest, status=ReportStatus.SIGNED)
        .select_related("work_order", "work_order__customer", "work_order__service_request", "work_order__unit")
        .first()
    )


def signature_data_url(report: ServiceReport) -> str:
    """The stored signature as a data URL (for screens and print-outs)."""
    if not report.signature:
        return ""
    with report.signature.open("rb") as handle:
        return png_data_url(handle.read())


# ---------------------------------------------------------------- work report (售后服务工作报告书)

@transaction.atomic
def work_report_save(
    *, actor: Any, work_order: WorkOrder, fault_phenomenon: str, cause_analysis: str, actions_taken: str,
    preventive_suggestion: str = "", expected_version: int | None = None,
) -> WorkReport:
    """Write (or rewrite) the detailed service work report that a major fault needs (seed 003 §5.3.5)."""
    work_order = _lock(work_order)
    if not (is_assigned(actor, work_order) and _has(actor, PERM_CHANGE)) and not _has(actor, PERM_APPROVE):
        raise PermissionDenied(_("The engineers on the job or a service manager write the work report."))
    _require_status(work_order, (S.ON_SITE, S.COMPLETED), _("The work report is written once the work is done."))
    values = {
        "fault_phenomenon": _text(fault_phenomenon), "cause_analysis": _text(cause_analysis),
        "actions_taken": _text(actions_taken), "preventive_suggestion": _text(preventive_suggestion),
    }
    messages = {
        "fault_phenomenon": _("Describe the fault phenomenon."),
        "cause_analysis": _("Write the cause analysis."),
        "actions_taken": _("Describe the actions taken."),
    }
    errors = {name: [message] for name, message in messages.items() if not values[name]}
    if errors:
        raise ValidationError(errors)
    report = WorkReport.objects.select_for_update().filter(work_order=work_order).first()
    creating = report is None
    if report is None:
        report = WorkReport(work_order=work_order)
    for name, value in values.items():
        setattr(report, name, value)
    report.author = _user(actor)
    report.written_at = timezone.now()
    save_versioned(report, expected_version=None if creating else expected_version, user=actor)
    record_event(work_order, actor=actor, verb="work_report_saved", data={"work_report": report.pk})
    return report

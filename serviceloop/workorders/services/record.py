"""The engineer's one record screen (issue 9): progress, a test, hours, parts used and a photo saved at once,
and — when the work is done — the result and the service report, ready for the customer's signature.

``work_order_record`` runs the single-record services (``work_order_add_progress``, ``work_order_add_test``,
``work_order_log_hours``, ``work_order_record_parts``, ``work_order_add_photo``, ``work_order_record_result``,
``service_report_prepare``) in one transaction: every message comes back at once under the record form's
field names, and nothing is written while any of them refuses.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.concurrency import check_version, save_versioned

from ..choices import WorkResult
from ..models import ProgressNote, WorkOrder
from .common import S, _lock, _require_status, _text
from .reports import service_report_prepare
from .work_orders import (
    _require_assignee,
    work_order_add_photo,
    work_order_add_progress,
    work_order_add_test,
    work_order_log_hours,
    work_order_record_parts,
    work_order_record_result,
)

# the record form's field for each single service's field
FIELDS = {
    "progress": {"note": "note", "day": "note"},
    "test": {"item": "test_item", "result": "test_result", "passed": "test_passed"},
    "hours": {"hours": "hours", "day": "hours", "engineer": "hours", "note": "hours"},
    "parts": {"parts_used": "parts_used"},
    "photo": {"file": "photo", "description": "photo"},
    "result": {"result": "result", "work_done": "note", "parts_used": "parts_used"},
}

PART_FIELD = {"photo": "photo", "hours": "hours", "test": "test_item", "progress": "note", "parts": "parts_used"}


def _collect(errors: dict[str, list[str]], part: str, call: Any) -> Any:
    """Run one single-record service; its refusal goes under the record form's field names."""
    try:
        return call()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                errors.setdefault(FIELDS[part].get(name, "__all__"), []).extend(messages)
        else:  # a refusal of the whole part (an attachment's content): next to the part's field
            errors.setdefault(PART_FIELD.get(part, "__all__"), []).extend(exc.messages)
        return None


@transaction.atomic
def work_order_record(
    *, actor: Any, work_order: WorkOrder, note: str = "", test_item: str = "", test_result: str = "",
    test_passed: bool | None = None, hours: Any = None, parts_used: str | None = None, photo: Any = None,
    finish: bool = False, result: str = "", expected_version: int | None = None,
) -> dict[str, Any]:
    """One save of the engineer's record on site. Each part is written only when given: the progress note,
    a test (item, measured result, passed), today's hours, the parts used (when changed) and a photo. With
    ``finish`` the work is done: the result is recorded (the work done is the note, or today's progress
    notes), the work order completes and the service report is prepared for the customer's signature.
    Returns what was written: ``{"progress", "test", "hours", "parts", "photo", "completed", "report"}``."""
    work_order = _lock(work_order)
    _require_assignee(actor, work_order)
    check_version(work_order, expected_version)
    _require_status(work_order, (S.ON_SITE, S.COMPLETED), _("The work is recorded on site, after the check-in."))
    note, test_item, test_result = _text(note), _text(test_item), _text(test_result)
    parts_changed = parts_used is not None and _text(parts_used) != work_order.parts_used
    errors: dict[str, list[str]] = {}
    if finish and work_order.status != S.ON_SITE:
        errors["__all__"] = [_("The result of this work order is already recorded.")]
    if finish and result not in WorkResult.values:
        errors["result"] = [_("Choose the result.")]
    if (test_result or test_passed is False) and not test_item:
        errors["test_item"] = [_("Name the test item.")]
    if not (note or test_item or hours not in (None, "") or parts_changed or photo or finish):
        errors["__all__"] = [_("Nothing to save: write the progress, a test, the hours, the parts or add a photo.")]
    if errors:
        raise ValidationError(errors)
    done: dict[str, Any] = {"progress": None, "test": None, "hours": None, "parts": False, "photo": None,
                            "completed": False, "report": None}
    if note:
        done["progress"] = _collect(errors, "progress", lambda: work_order_add_progress(
            actor=actor, work_order=work_order, note=note))
    if test_item:
        done["test"] = _collect(errors, "test", lambda: work_order_add_test(
            actor=actor, work_order=work_order, item=test_item, result=test_result,
            passed=True if test_passed is None else test_passed))
    if hours not in (None, ""):
        done["hours"] = _collect(errors, "hours", lambda: work_order_log_hours(
            actor=actor, work_order=work_order, day=timezone.localdate(), hours=hours))
    if parts_changed:
        done["parts"] = _collect(errors, "parts", lambda: work_order_record_parts(
            actor=actor, work_order=work_order, parts_used=parts_used or "")) is not None
    if finish and not errors:
        work_done = note or "\n".join(
            ProgressNote.objects.filter(work_order=work_order).order_by("day", "created_at", "id")
            .values_list("note", flat=True))
        completed = _collect(errors, "result", lambda: work_order_record_result(
            actor=actor, work_order=work_order, result=result, work_done=work_done))
        if completed is not None:
            done["completed"] = True
            done["report"] = _collect(errors, "result", lambda: service_report_prepare(
                actor=actor, work_order=work_order, work_done=completed.work_done))
    if photo and not errors:  # last: the only part that writes a file
        done["photo"] = _collect(errors, "photo", lambda: work_order_add_photo(
            actor=actor, work_order=work_order, upload=photo))
    if errors:
        raise ValidationError(errors)  # the transaction rolls back: nothing of this save is kept
    save_versioned(_lock(work_order), expected_version=None, user=actor)  # a page read before this save is stale
    return done

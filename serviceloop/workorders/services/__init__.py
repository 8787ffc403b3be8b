"""Writes for work orders (派工单): creation from a request, dispatch, approval, the engineers' field
records, help requests to headquarters, the signed service report, the major-fault work report and fees.

Every workflow step locks the work order row, checks ``models.TRANSITIONS``, writes the change and a
timeline event (from -> to). Who may act is decided here too:
- dispatching needs ``workorders.dispatch_workorder`` (dispatcher, service manager);
- approving needs ``workorders.approve_workorder`` (service manager);
- engineer actions are for the engineers assigned to that work order only;
- closing needs ``workorders.close_workorder`` (service desk, dispatcher, service manager).
A refusal by role or assignment is ``PermissionDenied`` (403); a wrong state or bad input is a
``ValidationError`` (400) with a message for the person.

Modules: ``work_orders`` (the work order itself, its workflow, permissions and team), ``reports`` (the
signed service report and the work report), ``help`` (help requests to headquarters), ``fees``, and
``common`` (the helpers they share). Every public name is re-exported here: callers use
``from serviceloop.workorders import services`` and ``services.work_order_approve(...)``.
"""

from .common import CLOCK_SKEW, S
from .fees import fee_line_delete, fee_line_save, fee_total, work_order_create_sales_order
from .help import (
    help_request_approve,
    help_request_charge,
    help_request_confirm,
    help_request_create,
    help_request_reject,
)
from .record import work_order_record
from .reports import (
    report_canonical,
    report_content_sha256,
    service_report_prepare,
    service_report_sign,
    service_report_update,
    service_report_verify,
    signature_data_url,
    work_report_save,
)
from .work_orders import (
    ILLEGAL_MOVE,
    PERM_ADD,
    PERM_APPROVE,
    PERM_CHANGE,
    PERM_CLOSE,
    PERM_DISPATCH,
    PERM_PLAN,
    PHOTO_EXTENSIONS,
    UNSET,
    WORKFLOW,
    active_assignments,
    close_blockers,
    engineer_may_serve,
    engineer_phone,
    is_assigned,
    lead_of,
    team,
    work_order_accept,
    work_order_add_photo,
    work_order_add_progress,
    work_order_add_test,
    work_order_approve,
    work_order_assign,
    work_order_cancel,
    work_order_check_in,
    work_order_check_out,
    work_order_close,
    work_order_contacted,
    work_order_create,
    work_order_decline,
    work_order_link_sales_order,
    work_order_log_hours,
    work_order_record_escalation_plan,
    work_order_record_parts,
    work_order_record_result,
    work_order_reject,
    work_order_update,
)

__all__ = [
    "CLOCK_SKEW",
    "ILLEGAL_MOVE",
    "PERM_ADD",
    "PERM_APPROVE",
    "PERM_CHANGE",
    "PERM_CLOSE",
    "PERM_DISPATCH",
    "PERM_PLAN",
    "PHOTO_EXTENSIONS",
    "S",
    "UNSET",
    "WORKFLOW",
    "active_assignments",
    "close_blockers",
    "engineer_may_serve",
    "engineer_phone",
    "fee_line_delete",
    "fee_line_save",
    "fee_total",
    "help_request_approve",
    "help_request_charge",
    "help_request_confirm",
    "help_request_create",
    "help_request_reject",
    "is_assigned",
    "lead_of",
    "report_canonical",
    "report_content_sha256",
    "service_report_prepare",
    "service_report_sign",
    "service_report_update",
    "service_report_verify",
    "signature_data_url",
    "team",
    "work_order_accept",
    "work_order_add_photo",
    "work_order_add_progress",
    "work_order_add_test",
    "work_order_approve",
    "work_order_assign",
    "work_order_cancel",
    "work_order_check_in",
    "work_order_check_out",
    "work_order_close",
    "work_order_contacted",
    "work_order_create",
    "work_order_create_sales_order",
    "work_order_decline",
    "work_order_link_sales_order",
    "work_order_log_hours",
    "work_order_record_escalation_plan",
    "work_order_record",
    "work_order_record_parts",
    "work_order_record_result",
    "work_order_reject",
    "work_order_update",
    "work_report_save",
]

"""Web pages of work orders (派工单): dispatch board, creation from a request, the ranked assignment,
approval, the work order page with its step buttons, the engineer's phone pages (my jobs today, one job),
the service report signed on the phone with its PDF and verification, the detailed work report, fees and
help requests to headquarters (协作申请单, 技术支持确认单).

Views parse input, call a service or a selector and render. Every record comes through the gate
(``get_for_user``: invisible -> 404, visible but not allowed -> 403); the services decide who may do each
step (PermissionDenied -> 403) and what is valid (ValidationError -> the message next to the form, 400).

Modules: ``work_orders`` (board, lists, my jobs, creation, the work order page, the job view, step pages,
assignment, PDF), ``reports`` (service report and work report), ``help`` (help requests), ``fees``, and
``common`` (the helpers they share). The views are re-exported here: ``urls.py`` and callers use
``from serviceloop.workorders import views`` and ``views.BoardView``.
"""

from .common import MAJOR, PERM_APPROVE_HELP
from .fees import fee_add, fee_delete, fee_statement
from .help import (
    HELP_COLUMNS,
    HELP_LIST,
    HelpListView,
    HelpStepView,
    help_approve,
    help_create,
    help_detail,
    help_pdf,
    support_pdf,
)
from .reports import (
    VERIFY_MAX_BYTES,
    report,
    report_pdf,
    report_sign,
    report_verify,
    work_report,
    work_report_pdf,
)
from .work_orders import (
    ALL_LIST,
    BOARD_LIST,
    INTERNAL_VERBS,
    WO_COLUMNS,
    BoardView,
    WorkOrderListView,
    WorkOrderStepView,
    my_jobs,
    work_order_assign,
    work_order_context,
    work_order_create,
    work_order_detail,
    work_order_job,
    work_order_pdf,
)

__all__ = [
    "ALL_LIST", "BOARD_LIST", "HELP_COLUMNS", "HELP_LIST", "INTERNAL_VERBS", "MAJOR", "PERM_APPROVE_HELP",
    "VERIFY_MAX_BYTES", "WO_COLUMNS", "BoardView", "HelpListView", "HelpStepView", "WorkOrderListView", "WorkOrderStepView", "fee_add", "fee_delete",
    "fee_statement", "help_approve", "help_create", "help_detail", "help_pdf", "support_pdf", "my_jobs", "report", "report_pdf",
    "report_sign", "report_verify", "work_order_assign", "work_order_context", "work_order_create",
    "work_order_detail", "work_order_job", "work_order_pdf", "work_report", "work_report_pdf",
]

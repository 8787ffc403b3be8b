"""API v1: work orders (派工单) with their workflow moves and field records, help requests to HQ
(协作申请单), service reports (售后服务记录单) with signing, PDF and verification, work reports
(售后服务工作报告书) and fee lines.

Reads go through the access gate; every write is one call of a service in workorders.services.
- A record the caller may not see is a 404; one they see but may not act on is a 403 (the service
  decides: dispatch and approval by role, field records by the engineers assigned to the job).
- A wrong state or bad input is a 400 with the service's message; never a 500.

Modules: ``work_orders``, ``help``, ``reports`` (service reports and work reports) and ``fees`` hold the
viewsets with their input serializers, each followed by its ``add_step_actions``; ``serializers`` the read
serializers (also the answers of the declared steps); ``common`` the helpers they share. The viewsets
(registered in serviceloop/api_urls.py) and the read serializers are re-exported here.
"""

from .fees import FeeLineSerializer, FeeLineViewSet
from .help import HelpRequestCreateSerializer, HelpRequestViewSet
from .reports import (
    ReportPrepareSerializer,
    ServiceReportViewSet,
    VerifyResultSerializer,
    VerifyUploadSerializer,
    WorkReportEditSerializer,
    WorkReportInputSerializer,
    WorkReportViewSet,
)
from .serializers import (
    AssignmentSerializer,
    EngineerRankSerializer,
    HelpRequestDetailSerializer,
    HelpRequestSerializer,
    LabourEntrySerializer,
    ProgressNoteSerializer,
    ReportTestSerializer,
    ServiceReportDetailSerializer,
    ServiceReportSerializer,
    SupportConfirmationSerializer,
    TestRecordSerializer,
    VisitSerializer,
    WorkOrderDetailSerializer,
    WorkOrderSerializer,
    WorkReportSerializer,
)
from .work_orders import WorkOrderViewSet

__all__ = [
    "AssignmentSerializer", "EngineerRankSerializer", "FeeLineSerializer", "FeeLineViewSet",
    "HelpRequestCreateSerializer", "HelpRequestDetailSerializer", "HelpRequestSerializer", "HelpRequestViewSet",
    "LabourEntrySerializer", "ProgressNoteSerializer", "ReportPrepareSerializer", "ReportTestSerializer",
    "ServiceReportDetailSerializer", "ServiceReportSerializer", "ServiceReportViewSet", "SupportConfirmationSerializer",
    "TestRecordSerializer", "VerifyResultSerializer", "VerifyUploadSerializer", "VisitSerializer",
    "WorkOrderDetailSerializer", "WorkOrderSerializer", "WorkOrderViewSet", "WorkReportEditSerializer",
    "WorkReportInputSerializer", "WorkReportSerializer", "WorkReportViewSet",
]

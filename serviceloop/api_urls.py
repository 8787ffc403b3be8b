"""REST API v1: every viewset registered here goes through the access gate."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from serviceloop.accounts.api import (
    BranchViewSet,
    DepartmentViewSet,
    EngineerViewSet,
    ObtainTokenView,
    SkillViewSet,
)
from serviceloop.assets.api import ProductModelViewSet, SalesOrderViewSet, ServiceContractViewSet, UnitViewSet
from serviceloop.core.api import AttachmentViewSet
from serviceloop.customers.api import ContactViewSet, CustomerViewSet, SiteViewSet
from serviceloop.feedback.api import FollowUpViewSet, ServiceComplaintViewSet
from serviceloop.parts.api import (
    BalanceViewSet,
    LocationViewSet,
    MoveViewSet,
    OldPartViewSet,
    PartViewSet,
    RequisitionViewSet,
)
from serviceloop.service.api import EscalationViewSet, ReviewViewSet, ServiceRequestViewSet, SlaPolicyViewSet
from serviceloop.workorders.api import (
    FeeLineViewSet,
    HelpRequestViewSet,
    ServiceReportViewSet,
    WorkOrderViewSet,
    WorkReportViewSet,
)

app_name = "api"

router = DefaultRouter()
router.register("branches", BranchViewSet, basename="branch")
router.register("departments", DepartmentViewSet, basename="department")
router.register("skills", SkillViewSet, basename="skill")
router.register("engineers", EngineerViewSet, basename="engineer")
router.register("customers", CustomerViewSet, basename="customer")
router.register("sites", SiteViewSet, basename="site")
router.register("contacts", ContactViewSet, basename="contact")
router.register("product-models", ProductModelViewSet, basename="productmodel")
router.register("sales-orders", SalesOrderViewSet, basename="salesorder")
router.register("units", UnitViewSet, basename="unit")
router.register("contracts", ServiceContractViewSet, basename="servicecontract")
router.register("attachments", AttachmentViewSet, basename="attachment")
router.register("service-requests", ServiceRequestViewSet, basename="servicerequest")
router.register("reviews", ReviewViewSet, basename="review")
router.register("escalations", EscalationViewSet, basename="escalation")
router.register("sla-policies", SlaPolicyViewSet, basename="slapolicy")
router.register("follow-ups", FollowUpViewSet, basename="followup")
router.register("service-complaints", ServiceComplaintViewSet, basename="servicecomplaint")
router.register("work-orders", WorkOrderViewSet, basename="workorder")
router.register("help-requests", HelpRequestViewSet, basename="helprequest")
router.register("service-reports", ServiceReportViewSet, basename="servicereport")
router.register("work-reports", WorkReportViewSet, basename="workreport")
router.register("fee-lines", FeeLineViewSet, basename="feeline")
router.register("parts", PartViewSet, basename="part")
router.register("stock-locations", LocationViewSet, basename="location")
router.register("stock-balances", BalanceViewSet, basename="stockbalance")
router.register("stock-moves", MoveViewSet, basename="stockmove")
router.register("requisitions", RequisitionViewSet, basename="requisition")
router.register("old-parts", OldPartViewSet, basename="oldpartreturn")

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("", include(router.urls)),
]

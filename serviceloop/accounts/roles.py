"""Roles are Django groups with permissions (SPEC: Users (roles)). Scope lives on the user."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

CUSTOMER = "customer"
SERVICE_DESK = "service_desk"
SERVICE_MANAGER = "service_manager"
DISPATCHER = "dispatcher"
FIELD_ENGINEER = "field_engineer"
BRANCH_STAFF = "branch_staff"
TECH_SUPPORT = "tech_support"
PROCESS_TECH = "process_tech"
QUALITY = "quality"
REPAIR = "repair"
PRODUCTION = "production"
WAREHOUSE = "warehouse"
SALES = "sales"
ENGINEERING = "engineering"
GM_OFFICE = "gm_office"
SYSADMIN = "sysadmin"

ROLE_LABELS = {
    CUSTOMER: _("Customer"),
    SERVICE_DESK: _("Service desk"),
    SERVICE_MANAGER: _("Service manager"),
    DISPATCHER: _("Dispatcher"),
    FIELD_ENGINEER: _("Field service engineer"),
    BRANCH_STAFF: _("Branch office staff"),
    TECH_SUPPORT: _("Technical support centre"),
    PROCESS_TECH: _("Process technology dept"),
    QUALITY: _("Quality / QA dept"),
    REPAIR: _("Repair engineer"),
    PRODUCTION: _("Production dept"),
    WAREHOUSE: _("Warehouse / spare parts"),
    SALES: _("Business / sales dept"),
    ENGINEERING: _("Engineering dept"),
    GM_OFFICE: _("General manager's office"),
    SYSADMIN: _("System administrator"),
}
ALL_ROLES = list(ROLE_LABELS)

MASTER = [
    "customers.customer", "customers.site", "customers.contact",
    "assets.productmodel", "assets.unit", "assets.salesorder", "assets.salesorderline", "assets.servicecontract",
]
REFERENCE = ["accounts.branch", "accounts.department", "accounts.skill", "accounts.engineerprofile"]
CUSTOMER_RECORDS = ["customers.customer", "customers.site", "customers.contact", "assets.unit",
                    "assets.salesorder", "assets.salesorderline", "assets.servicecontract"]


def _perms(models: list[str], *actions: str) -> set[str]:
    out = set()
    for label in models:
        app, model = label.split(".")
        for action in actions:
            out.add(f"{app}.{action}_{model}")
    return out


SERVICE = ["service.servicerequest", "service.review", "service.slaevent", "service.escalation", "service.slapolicy"]
VIEW_SERVICE = _perms(SERVICE, "view")
WORK_REQUESTS = _perms(["service.servicerequest", "service.review"], "add", "change")
VIEW_ALL = _perms(MASTER + REFERENCE, "view") | {"core.view_attachment", "core.add_attachment"} | VIEW_SERVICE
EDIT_MASTER = _perms(MASTER, "add", "change")

ROLE_PERMISSIONS: dict[str, set[str]] = {
    CUSTOMER: _perms(CUSTOMER_RECORDS + ["assets.productmodel"], "view") | {"core.view_attachment"}
    | _perms(["service.servicerequest"], "view", "add")
    | {"service.view_review"},  # only reviews shown to the customer (service.models.ReviewQuerySet)
    SERVICE_DESK: (VIEW_ALL | EDIT_MASTER - _perms(["assets.productmodel"], "add", "change")) | WORK_REQUESTS,
    SERVICE_MANAGER: VIEW_ALL | EDIT_MASTER | _perms(MASTER, "delete") | _perms(["accounts.engineerprofile"], "change")
    | {"core.delete_attachment"} | WORK_REQUESTS | _perms(["service.slapolicy"], "add", "change", "delete"),
    DISPATCHER: VIEW_ALL,
    FIELD_ENGINEER: VIEW_ALL,
    BRANCH_STAFF: VIEW_ALL | _perms(["customers.customer", "customers.site", "customers.contact", "assets.unit"], "add", "change")
    | _perms(["service.servicerequest"], "add", "change"),
    TECH_SUPPORT: VIEW_ALL,
    PROCESS_TECH: VIEW_ALL,
    QUALITY: VIEW_ALL,
    REPAIR: VIEW_ALL,
    PRODUCTION: VIEW_ALL,
    WAREHOUSE: VIEW_ALL,
    SALES: VIEW_ALL | _perms(["customers.customer", "customers.site", "customers.contact", "assets.unit",
                              "assets.salesorder", "assets.salesorderline", "assets.servicecontract"], "add", "change"),
    ENGINEERING: VIEW_ALL | _perms(["assets.productmodel"], "add", "change"),
    GM_OFFICE: VIEW_ALL | {"core.view_authorizationfailure", "core.view_workerheartbeat"},
    SYSADMIN: VIEW_ALL | EDIT_MASTER | _perms(MASTER + REFERENCE + SERVICE + ["accounts.user", "accounts.engineerskill"],
                                              "add", "change", "delete", "view")
    | {"core.view_authorizationfailure", "core.view_workerheartbeat", "core.view_timelineevent",
       "core.delete_attachment", "auth.view_group", "auth.change_group"},
}


# Feedback (follow-ups 回访, service complaints 服务投诉): every staff role sees them; the desk and the
# service manager record follow-up calls; customers rate their own company's requests in the portal and see
# their follow-ups. Service complaints (seed 003 §5.5): the desk, branch staff and customers register them
# (customers their own, in the portal, and see them without the departments' analyses); the GM office and
# the service manager coordinate them (send, escalate, measures, revisit, close); every staff role answers
# for its own department when a complaint is sent to it (the department is checked in feedback.rules).
FEEDBACK = ["feedback.followup", "feedback.servicecomplaint"]
ROLE_PERMISSIONS.update({role: codes | _perms(FEEDBACK, "view") | {"feedback.analyse_servicecomplaint"}
                         for role, codes in ROLE_PERMISSIONS.items() if role != CUSTOMER})
ROLE_PERMISSIONS[CUSTOMER] = (ROLE_PERMISSIONS[CUSTOMER] | _perms(["feedback.followup"], "view", "add")
                              | _perms(["feedback.servicecomplaint"], "view", "add"))
ROLE_PERMISSIONS[SERVICE_DESK] = ROLE_PERMISSIONS[SERVICE_DESK] | _perms(FEEDBACK, "add")
ROLE_PERMISSIONS[BRANCH_STAFF] = ROLE_PERMISSIONS[BRANCH_STAFF] | _perms(["feedback.servicecomplaint"], "add")
ROLE_PERMISSIONS[SERVICE_MANAGER] = (ROLE_PERMISSIONS[SERVICE_MANAGER] | _perms(FEEDBACK, "add")
                                     | _perms(["feedback.servicecomplaint"], "change"))
ROLE_PERMISSIONS[GM_OFFICE] = ROLE_PERMISSIONS[GM_OFFICE] | _perms(["feedback.servicecomplaint"], "add", "change")

# Work orders (派工单), help requests, service reports, work reports, fees: every staff role sees them;
# customers see their own work orders and service reports. Dispatching, approving and closing are
# custom permissions; that only the assigned engineers act on a job is checked in workorders.services.
WORKORDERS = ["workorders.workorder", "workorders.workorderassignment", "workorders.visit",
              "workorders.progressnote", "workorders.testrecord", "workorders.labourentry",
              "workorders.helprequest", "workorders.supportconfirmation", "workorders.servicereport",
              "workorders.workreport", "workorders.feeline"]
FEES = _perms(["workorders.feeline"], "add", "change", "delete")
WO_OFFICE = _perms(["workorders.workorder"], "add", "change") | FEES
WO_FIELD = (_perms(["workorders.workorder", "workorders.servicereport", "workorders.workreport",
                    "workorders.helprequest"], "change")
            | _perms(["workorders.visit", "workorders.progressnote", "workorders.testrecord", "workorders.labourentry",
                      "workorders.servicereport", "workorders.workreport", "workorders.helprequest",
                      "workorders.supportconfirmation"], "add") | FEES)
ROLE_PERMISSIONS.update({role: codes | _perms(WORKORDERS, "view") for role, codes in ROLE_PERMISSIONS.items()
                         if role != CUSTOMER})
ROLE_PERMISSIONS[CUSTOMER] = ROLE_PERMISSIONS[CUSTOMER] | _perms(["workorders.workorder",
                                                                  "workorders.servicereport"], "view")
ROLE_PERMISSIONS[SERVICE_DESK] = (ROLE_PERMISSIONS[SERVICE_DESK] | _perms(["workorders.workorder"], "add") | FEES
                                  | {"workorders.close_workorder"})
ROLE_PERMISSIONS[DISPATCHER] = (ROLE_PERMISSIONS[DISPATCHER] | WO_OFFICE
                                | {"workorders.dispatch_workorder", "workorders.close_workorder"})
ROLE_PERMISSIONS[SERVICE_MANAGER] = (ROLE_PERMISSIONS[SERVICE_MANAGER] | WO_OFFICE
                                     | _perms(["workorders.workreport"], "add", "change")
                                     | {"workorders.dispatch_workorder", "workorders.approve_workorder",
                                        "workorders.close_workorder", "workorders.approve_helprequest"})
ROLE_PERMISSIONS[FIELD_ENGINEER] = ROLE_PERMISSIONS[FIELD_ENGINEER] | WO_FIELD
ROLE_PERMISSIONS[BRANCH_STAFF] = (ROLE_PERMISSIONS[BRANCH_STAFF]
                                  | _perms(["workorders.helprequest"], "add", "change")
                                  | _perms(["workorders.supportconfirmation"], "add"))
ROLE_PERMISSIONS[TECH_SUPPORT] = ROLE_PERMISSIONS[TECH_SUPPORT] | {"workorders.plan_escalation"}
ROLE_PERMISSIONS[PROCESS_TECH] = ROLE_PERMISSIONS[PROCESS_TECH] | {"workorders.plan_escalation"}

# Spare parts (备件): every staff role sees the catalogue, stock, ledger, requisitions and old parts
# (engineers only their own van, selectors.py); the warehouse (仓管部/备件管理) keeps the catalogue and the
# locations, posts stock moves, approves and issues requisitions and receives old parts; field engineers
# ask for parts on their jobs, confirm receipt and fit them. Customers see none of it.
PARTS = ["parts.part", "parts.location", "parts.safetystock", "parts.stockbalance", "parts.partserial",
         "parts.stockmove", "parts.requisition", "parts.requisitionline", "parts.oldpartreturn"]
ROLE_PERMISSIONS.update({role: codes | _perms(PARTS, "view") for role, codes in ROLE_PERMISSIONS.items()
                         if role != CUSTOMER})
ROLE_PERMISSIONS[WAREHOUSE] = (ROLE_PERMISSIONS[WAREHOUSE]
                               | _perms(["parts.part", "parts.location", "parts.safetystock"], "add", "change")
                               | _perms(["parts.stockmove", "parts.partserial"], "add")
                               | _perms(["parts.requisition", "parts.oldpartreturn"], "change")
                               | {"parts.approve_requisition", "parts.issue_requisition"})
ROLE_PERMISSIONS[FIELD_ENGINEER] = ROLE_PERMISSIONS[FIELD_ENGINEER] | _perms(["parts.requisition"], "add", "change")
ROLE_PERMISSIONS[SYSADMIN] = ROLE_PERMISSIONS[SYSADMIN] | _perms(["parts.part", "parts.location"], "add", "change")


def sync_roles(verbosity: int = 0) -> None:
    """Create every role's group and give it exactly the permissions listed above."""
    from django.contrib.auth.models import Group, Permission

    wanted_all = set().union(*ROLE_PERMISSIONS.values())
    by_code: dict[str, Any] = {}
    for perm in Permission.objects.select_related("content_type"):
        by_code[f"{perm.content_type.app_label}.{perm.codename}"] = perm
    missing = sorted(code for code in wanted_all if code not in by_code)
    if missing and verbosity:
        print("roles: permissions not yet created:", ", ".join(missing))
    for role, codes in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set([by_code[c] for c in codes if c in by_code])


def sync_roles_after_migrate(sender: Any, **kwargs: Any) -> None:
    """Runs once per migrate, after the last installed app has created its permissions."""
    from django.apps import apps

    # post_migrate is sent only for apps with a models module (not for the home app, for one)
    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if sender is last:
        sync_roles(verbosity=kwargs.get("verbosity", 0))


def role_label(code: str) -> str:
    return str(ROLE_LABELS.get(code, code))

"""The navigation bar: the entries a user's permissions (and portal or staff side) allow."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from serviceloop.core.scoping import is_customer

# Sections of the bar: (label, entries); an entry is (label, url name, permission needed to see it
# [, "customer" or "staff" only]). Up to NAV_FLAT_MAX entries show side by side; more (managers,
# admins) are grouped into one menu per section, so the bar stays on one line at 1366 px.
NAV_SECTIONS = [
    (_("Service"), [
        (_("My requests"), "service:portal", "service.view_servicerequest", "customer"),
        (_("Service queue"), "service:queue", "service.view_servicerequest", "staff"),
        (_("Dispatch board"), "workorders:board", "workorders.add_workorder", "staff"),
        (_("My jobs"), "workorders:my_jobs", "workorders.add_visit", "staff"),
        (_("Help requests"), "workorders:help_list", "workorders.approve_helprequest", "staff"),
        (_("Work orders"), "workorders:list", "workorders.view_workorder", "staff"),
    ]),
    (_("Feedback"), [
        (_("Follow-ups"), "feedback:queue", "feedback.add_followup", "staff"),
        (_("Service complaints"), "feedback:complaint_list", "feedback.view_servicecomplaint", "staff"),
        (_("My complaints"), "feedback:complaint_list", "feedback.view_servicecomplaint", "customer"),
    ]),
    (_("Spare parts"), [
        (_("Requisitions"), "parts:requisition_list", "parts.view_requisition", "staff"),
        (_("Stock"), "parts:stock", "parts.view_stockbalance", "staff"),
        (_("Spare parts"), "parts:part_list", "parts.view_part", "staff"),
        (_("Old parts"), "parts:old_part_list", "parts.view_oldpartreturn", "staff"),
    ]),
    (_("Installed base"), [
        (_("Customers"), "customers:list", "customers.view_customer"),
        (_("Units"), "assets:unit_list", "assets.view_unit"),
        (_("Sales orders"), "assets:so_list", "assets.view_salesorder"),
        (_("Service contracts"), "assets:contract_list", "assets.view_servicecontract"),
        (_("Product models"), "assets:model_list", "assets.view_productmodel"),
    ]),
    (_("Settings"), [
        (_("SLA policies"), "service:sla_policy_list", "service.change_slapolicy"),
        (_("System status"), "core:status", "core.view_workerheartbeat"),
    ]),
]
NAV_ITEMS = [entry for _label, entries in NAV_SECTIONS for entry in entries]
NAV_FLAT_MAX = 7


def _entries(request: HttpRequest, user: Any, entries: list[tuple]) -> list[dict[str, Any]]:
    customer = is_customer(user)
    items = []
    for label, name, perm, *audience in entries:
        if audience and audience[0] != ("customer" if customer else "staff"):
            continue
        if user.has_perm(perm):
            try:
                url = reverse(name)
            except NoReverseMatch:
                continue
            items.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return items


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    if user is not None and user.is_authenticated:
        sections = [(label, _entries(request, user, entries)) for label, entries in NAV_SECTIONS]
        items = [item for _label, found in sections for item in found]
        if len(items) <= NAV_FLAT_MAX:
            groups = [{"label": item["label"], "items": [item], "active": item["active"]} for item in items]
        else:
            groups = [{"label": label, "items": found, "active": any(i["active"] for i in found)}
                      for label, found in sections if found]
    return {
        "nav_items": items,
        "nav_groups": groups,
        "company_name": settings.COMPANY_NAME,
        "company_name_en": settings.COMPANY_NAME_EN,
    }

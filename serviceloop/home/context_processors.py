"""The navigation bar: the entries a user's permissions (and portal or staff side) allow."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from serviceloop.core.scoping import is_customer

# (label, url name, permission needed to see the entry[, "customer" or "staff" only])
NAV_ITEMS = [
    (_("My requests"), "service:portal", "service.view_servicerequest", "customer"),
    (_("Service queue"), "service:queue", "service.view_servicerequest", "staff"),
    (_("Dispatch board"), "workorders:board", "workorders.add_workorder", "staff"),
    (_("My jobs"), "workorders:my_jobs", "workorders.add_visit", "staff"),
    (_("Help requests"), "workorders:help_list", "workorders.approve_helprequest", "staff"),
    (_("Work orders"), "workorders:list", "workorders.view_workorder", "staff"),
    (_("Follow-ups"), "feedback:queue", "feedback.add_followup", "staff"),
    (_("Service complaints"), "feedback:complaint_list", "feedback.view_servicecomplaint", "staff"),
    (_("Customers"), "customers:list", "customers.view_customer"),
    (_("Units"), "assets:unit_list", "assets.view_unit"),
    (_("Sales orders"), "assets:so_list", "assets.view_salesorder"),
    (_("Service contracts"), "assets:contract_list", "assets.view_servicecontract"),
    (_("Product models"), "assets:model_list", "assets.view_productmodel"),
    (_("SLA policies"), "service:sla_policy_list", "service.change_slapolicy"),
    (_("System status"), "core:status", "core.view_workerheartbeat"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        customer = is_customer(user)
        for label, name, perm, *audience in NAV_ITEMS:
            if audience and audience[0] != ("customer" if customer else "staff"):
                continue
            if user.has_perm(perm):
                try:
                    items.append({"label": label, "url": reverse(name), "active": request.path.startswith(reverse(name))})
                except NoReverseMatch:
                    continue
    return {
        "nav_items": items,
        "company_name": settings.COMPANY_NAME,
        "company_name_en": settings.COMPANY_NAME_EN,
    }

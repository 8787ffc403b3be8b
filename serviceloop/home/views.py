"""The home page: each role's landing page, or the general page (recent units, customers in scope)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse

from serviceloop.accounts.roles import role_label
from serviceloop.assets.models import Unit
from serviceloop.core.scoping import is_customer
from serviceloop.customers.models import Customer

# Role -> its home page (the first that applies and exists); other roles get the general home page.
ROLE_HOMES = [
    ("customer", "service:portal"),
    ("field_engineer", "workorders:my_jobs"),
    ("dispatcher", "workorders:board"),
    ("service_desk", "service:queue"),
    ("service_manager", "service:queue"),
    ("branch_staff", "service:queue"),
]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    target = role_home(user)
    if target:
        return redirect(target)
    context = {
        "roles": [role_label(name) for name in user.groups.values_list("name", flat=True)],
        "recent_units": Unit.objects.restrict(user).select_related("customer", "product_model").order_by("-id")[:8],
        "customer_count": Customer.objects.restrict(user).order_by()[:1001].count(),
    }
    return render(request, "home/home.html", context)


def role_home(user) -> str | None:
    roles = set(user.groups.values_list("name", flat=True))
    for role, name in ROLE_HOMES:
        if role in roles or (role == "customer" and is_customer(user)):
            try:
                return reverse(name)
            except NoReverseMatch:
                continue
    return None


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers that ignore ``<link rel="icon">`` still ask for /favicon.ico: send them to the SVG."""
    return redirect(static("favicon.svg"), permanent=True)

"""Login required everywhere, and an audit row for every refused access.

(The login lockout is tested in test_login_lockout.py.)
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.core.models import AuthorizationFailure


@pytest.mark.django_db
def test_login_page_is_public_and_logged_in_user_goes_home(client, hq):
    assert client.get(reverse("login")).status_code == 200
    client.force_login(UserFactory(branch=hq, roles=["service_desk"]))
    r = client.get(reverse("login"))
    assert r.status_code == 302
    assert r["Location"] == reverse("home")


# -- every page requires login --------------------------------------------------------------------

PUBLIC = {"login", "logout", "healthz", "javascript-catalog", "set_language", "switch_language", "schema", "swagger-ui", "favicon"}
SKIP_PREFIXES = ("admin/", "api/", "i18n/", "static/", "media/", "__")


def _page_paths():
    """Every URL of the site (parameters filled with 1), except the public ones, admin and API."""
    out = []

    def walk(patterns, prefix):
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern):
                path = prefix + route
                if p.name in PUBLIC or path.startswith(SKIP_PREFIXES) or route.startswith("^"):
                    continue
                path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: "1" if m.group(1) in (None, "int") else "x", path)
                out.append("/" + path)

    walk(get_resolver().url_patterns, "")
    return sorted(set(out))


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    for path in ["/", "/customers/"]:
        r = client.get(path)
        assert r.status_code == 302, path
        assert r["Location"].startswith(reverse("login") + "?next="), path


@pytest.mark.django_db
def test_every_page_requires_login(client):
    paths = _page_paths()
    assert "/customers/" in paths and "/core/status/" in paths
    for path in paths:
        r = client.get(path)
        assert r.status_code == 302, path
        assert r["Location"].startswith(reverse("login")), path


@pytest.mark.django_db
def test_api_requires_authentication(client):
    r = client.get("/api/v1/")
    assert r.status_code in (401, 403)


# -- an audit row for every refused access --------------------------------------------------------

@pytest.mark.django_db
def test_invisible_record_is_404_with_audit_row(client, cast):
    client.force_login(cast.outsider)
    url = reverse("customers:detail", args=[cast.customer_a.pk])
    assert client.get(url).status_code == 404
    row = AuthorizationFailure.objects.get()
    assert row.user == cast.outsider
    assert row.username == "outsider"
    assert row.path == url
    assert row.method == "GET"
    assert row.outcome == "not_found"
    assert row.action == "view"


@pytest.mark.django_db
def test_forbidden_edit_is_403_with_audit_row(client, cast):
    client.force_login(cast.owner)
    url = reverse("customers:edit", args=[cast.customer_a.pk])
    assert client.get(url).status_code == 403
    r = client.post(url, {"code": "CA", "name": "改名", "level": "A", "branch": cast.customer_a.branch_id})
    assert r.status_code == 403
    cast.customer_a.refresh_from_db()
    assert cast.customer_a.name == "甲公司"
    rows = list(AuthorizationFailure.objects.order_by("id"))
    assert [(r.user, r.path, r.outcome, r.action, r.method) for r in rows] == [
        (cast.owner, url, "forbidden", "change", "GET"),
        (cast.owner, url, "forbidden", "change", "POST"),
    ]
    assert rows[0].target == f"customers.Customer:{cast.customer_a.pk}"


@pytest.mark.django_db
def test_branch_staff_editing_another_region_is_404_with_audit_row(client, cast):
    client.force_login(cast.east_staff)
    url = reverse("customers:edit", args=[cast.customer_b.pk])
    assert client.get(url).status_code == 404
    row = AuthorizationFailure.objects.get()
    assert (row.user, row.path, row.outcome) == (cast.east_staff, url, "not_found")


@pytest.mark.django_db
def test_create_without_role_is_403_with_audit_row(client, cast):
    client.force_login(cast.owner)
    url = reverse("customers:create")
    assert client.get(url).status_code == 403
    row = AuthorizationFailure.objects.get()
    assert (row.user, row.path, row.outcome, row.action) == (cast.owner, url, "forbidden", "add")


@pytest.mark.django_db
def test_allowed_access_writes_no_audit_row(client, cast):
    client.force_login(cast.owner)
    assert client.get(reverse("customers:detail", args=[cast.customer_a.pk])).status_code == 200
    assert not AuthorizationFailure.objects.exists()

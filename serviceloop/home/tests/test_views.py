"""The home page (moved from core): same URL and URL name, role landing pages, the general page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.assets.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


def test_the_home_page_keeps_its_url_and_name():
    assert reverse("home") == "/"


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_roles_land_on_their_own_page(client, cast):
    client.force_login(cast.owner)
    assert client.get(reverse("home")).url == reverse("service:portal")
    client.force_login(cast.desk)
    assert client.get(reverse("home")).url == reverse("service:queue")


def test_other_roles_get_the_general_page_with_what_they_may_see(client, cast, hq):
    unit = UnitFactory(customer=cast.customer_a)
    user = UserFactory(username="qa", branch=hq, roles=["quality"])
    client.force_login(user)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "home/home.html"
    page = response.content.decode()
    assert "Welcome" in page and reverse("assets:unit_list") in page
    if user.has_perm("assets.view_unit"):
        assert unit.serial_number in page


def test_the_navigation_bar_comes_from_the_home_app(client, cast):
    client.force_login(cast.desk)
    response = client.get(reverse("service:queue"))
    labels = [str(item["label"]) for item in response.context["nav_items"]]
    assert labels and all(item["url"] for item in response.context["nav_items"])

"""A person's own language (issue 9): the setting page, the top bar's switch, and the setting winning over
the browser's Accept-Language on every page and from the login on."""

from __future__ import annotations

import pytest
from django.urls import reverse

from serviceloop.accounts.services import user_set_language
from serviceloop.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Secret-123"


def _lang(response) -> str:
    return response.headers.get("Content-Language", "")


def test_the_settings_page_saves_the_language(client):
    user = UserFactory(username="ann")
    client.force_login(user)
    page = client.get(reverse("accounts:settings"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and 'data-testid="language-select"' in page.content.decode()
    saved = client.post(reverse("accounts:settings"), {"language": "en"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert saved.status_code == 302 and saved.cookies["django_language"].value == "en"
    user.refresh_from_db()
    assert user.language == "en"
    page = client.get(reverse("accounts:settings"), follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert "Your settings are saved." in html and "My settings" in html and _lang(page) == "en"


def test_the_users_setting_wins_over_the_browser(client):
    user = UserFactory(username="bob", language="en")
    client.force_login(user)
    assert _lang(client.get(reverse("core:notifications"), HTTP_ACCEPT_LANGUAGE="zh-hans")) == "en"
    user.language = "zh-hans"
    user.save()
    client.cookies["django_language"] = "en"  # even a cookie saying otherwise
    response = client.get(reverse("core:notifications"), HTTP_ACCEPT_LANGUAGE="en")
    assert _lang(response) == "zh-hans" and response.cookies["django_language"].value == "zh-hans"


def test_blank_follows_the_browser(client):
    user = UserFactory(username="cai", language="en")
    client.force_login(user)
    response = client.post(reverse("accounts:settings"), {"language": ""})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == ""
    assert _lang(client.get(reverse("core:notifications"), HTTP_ACCEPT_LANGUAGE="en")) == "en"
    client.cookies.pop("django_language", None)
    assert _lang(client.get(reverse("core:notifications"), HTTP_ACCEPT_LANGUAGE="zh-hans")) == "zh-hans"


def test_the_language_applies_from_the_login_on(client):
    UserFactory(username="dai", password=PASSWORD, language="en")
    response = client.post(reverse("login"), {"username": "dai", "password": PASSWORD},
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 302 and response.cookies["django_language"].value == "en"
    assert _lang(client.get(reverse("core:notifications"), HTTP_ACCEPT_LANGUAGE="zh-hans")) == "en"
    client.post(reverse("logout"))
    # after logging out the login page keeps speaking the person's language (the cookie)
    assert _lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-hans")) == "en"


def test_an_unknown_language_is_refused_with_a_message_and_nothing_changes(client):
    user = UserFactory(username="eve", language="en")
    client.force_login(user)
    response = client.post(reverse("accounts:settings"), {"language": "xx"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    user.refresh_from_db()
    assert user.language == "en"
    with pytest.raises(Exception, match="Choose one of the languages offered"):
        user_set_language(user=user, language="fr")


def test_the_top_bar_switch_keeps_the_setting(client):
    user = UserFactory(username="fan", language="zh-hans")
    client.force_login(user)
    response = client.post(reverse("accounts:switch_language"), {"language": "en", "next": "/core/notifications/"})
    assert response.status_code == 302 and response["Location"] == "/core/notifications/"
    user.refresh_from_db()
    assert user.language == "en"
    assert _lang(client.get(reverse("core:notifications"), HTTP_ACCEPT_LANGUAGE="zh-hans")) == "en"


def test_anonymous_visitors_get_the_login_and_may_switch_only_the_cookie(client):
    response = client.get(reverse("accounts:settings"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(reverse("accounts:settings"), {"language": "en"}).status_code == 302
    switched = client.post(reverse("accounts:switch_language"), {"language": "en", "next": "/"})
    assert switched.status_code == 302 and switched.cookies["django_language"].value == "en"
    assert client.get(reverse("accounts:switch_language")).status_code == 405


def test_a_customer_user_has_the_setting_too(client, cast):
    client.force_login(cast.owner)
    assert client.post(reverse("accounts:settings"), {"language": "en"}).status_code == 302
    cast.owner.refresh_from_db()
    assert cast.owner.language == "en" and cast.colleague.language == ""

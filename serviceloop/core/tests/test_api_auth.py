"""API authentication: session or token; the token endpoint shares the web login's rate limit."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from serviceloop.core.models import AuthorizationFailure

TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "pw-Secret-123"  # the user factory's password


@pytest.fixture(autouse=True)
def _lockout_limit(settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 3  # the login lockout (core/lockout.py)


@pytest.mark.django_db
def test_token_for_good_credentials_opens_the_api(cast):
    client = APIClient()
    r = client.post(TOKEN_URL, {"username": "desk", "password": PASSWORD}, format="json")
    assert r.status_code == 200
    token = r.json()["token"]
    assert Token.objects.get(user=cast.desk).key == token
    # the same token again, not a new one per login
    assert client.post(TOKEN_URL, {"username": "desk", "password": PASSWORD}).json()["token"] == token

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    r = api.get("/api/v1/customers/")
    assert r.status_code == 200
    assert {row["code"] for row in r.json()["results"]} == {"CA", "CB"}


@pytest.mark.django_db
def test_token_of_a_portal_user_sees_only_its_customer(cast):
    token = APIClient().post(TOKEN_URL, {"username": "owner", "password": PASSWORD}).json()["token"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert [row["code"] for row in api.get("/api/v1/customers/").json()["results"]] == ["CA"]
    assert api.get(f"/api/v1/customers/{cast.customer_b.pk}/").status_code == 404


@pytest.mark.django_db
def test_wrong_password_is_a_400_without_token(cast):
    r = APIClient().post(TOKEN_URL, {"username": "desk", "password": "wrong"}, format="json")
    assert r.status_code == 400
    assert r.json()["non_field_errors"]
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_missing_fields_are_field_errors(cast):
    r = APIClient().post(TOKEN_URL, {}, format="json")
    assert r.status_code == 400
    assert set(r.json()) == {"username", "password"}


@pytest.mark.django_db
def test_inactive_user_gets_no_token(cast):
    cast.desk.is_active = False
    cast.desk.save()
    r = APIClient().post(TOKEN_URL, {"username": "desk", "password": PASSWORD}, format="json")
    assert r.status_code == 400
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_too_many_failures_lock_the_token_endpoint(cast):
    client = APIClient()
    for _ in range(2):
        assert client.post(TOKEN_URL, {"username": "desk", "password": "wrong"}).status_code == 400
    # the failure that reaches the limit already answers that the login is locked
    assert client.post(TOKEN_URL, {"username": "desk", "password": "wrong"}).status_code == 429
    r = client.post(TOKEN_URL, {"username": "desk", "password": PASSWORD})
    assert r.status_code == 429
    assert r.json()["detail"]
    assert not Token.objects.exists()
    # the web login shares the counter
    web = client.post("/accounts/login/", {"username": "desk", "password": PASSWORD})
    assert web.status_code == 200  # the form again, with the lock message
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_web_login_failures_also_lock_the_token_endpoint(cast, client):
    for _ in range(3):
        client.post("/accounts/login/", {"username": "desk", "password": "wrong"})
    r = APIClient().post(TOKEN_URL, {"username": "desk", "password": PASSWORD})
    assert r.status_code == 429


@pytest.mark.django_db
def test_session_authentication_works(cast):
    client = APIClient()
    client.force_login(cast.desk)
    assert client.get("/api/v1/customers/").status_code == 200


@pytest.mark.django_db
def test_session_writes_need_the_csrf_token(cast):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast.desk)
    r = client.patch(f"/api/v1/customers/{cast.customer_a.pk}/", {"name": "x"}, format="json")
    assert r.status_code == 403


@pytest.mark.django_db
def test_token_writes_need_no_csrf_token(cast):
    token = Token.objects.create(user=cast.desk)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    r = client.patch(f"/api/v1/customers/{cast.customer_a.pk}/", {"name": "甲公司（新）"}, format="json")
    assert r.status_code == 200
    assert r.json()["name"] == "甲公司（新）"


@pytest.mark.django_db
def test_bad_token_is_refused_and_audited(cast):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    r = client.get("/api/v1/customers/")
    assert r.status_code in (401, 403)
    assert AuthorizationFailure.objects.filter(outcome="unauthenticated", path="/api/v1/customers/").exists()


@pytest.mark.django_db
def test_user_without_role_sees_nothing(cast):
    token = Token.objects.create(user=cast.nobody)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/customers/").json()["results"] == []
    assert client.get(f"/api/v1/customers/{cast.customer_a.pk}/").status_code == 404
    assert client.post("/api/v1/customers/", {"code": "X"}, format="json").status_code == 403

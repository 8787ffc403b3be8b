"""Login lockout (issue 9): failures count per user name *and* client address (django-axes).

Before, 20 failures with made-up user names from one address locked out every user behind that
address for 15 minutes (a counter per REMOTE_ADDR; behind the reverse proxy or a factory NAT that is
everyone). Now a client locks out only its own (user name, address) pairs, with a wait that grows while
it keeps trying; the client address is read behind a configured number of trusted proxies.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from serviceloop.accounts.tests.factories import UserFactory
from serviceloop.core.access import client_ip
from serviceloop.core.models import AuthorizationFailure

PASSWORD = "pw-Secret-123"  # the user factory's
LIMIT = 3
LOCK_EN = "Too many failed logins"
LOCK_ZH = "登录失败次数过多"
A, B = "198.51.100.7", "203.0.113.9"  # two client addresses
PROXY, PROXY2 = "10.0.0.2", "10.0.0.3"  # reverse proxies in front of the app
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def lockout(settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = LIMIT
    settings.LOGIN_FAILURE_WINDOW = 15 * 60
    settings.LOGIN_COOLOFF_MAX = 24 * 3600
    # (the hand-written counter this replaces kept its counts in the cache)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"lockout-{uuid.uuid4()}"}}


@pytest.fixture
def alice(hq):
    return UserFactory(username="alice", branch=hq, roles=["service_desk"])


@pytest.fixture
def bob(hq):
    return UserFactory(username="bob", branch=hq, roles=["service_desk"])


def _client(language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    return client


def login(username, password, *, ip=A, client=None, language="en", **headers):
    client = client or _client(language)
    response = client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **headers)
    return client, response


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(username, times=1, **kwargs):
    for _ in range(times):
        _client_, response = login(username, "wrong-password", **kwargs)
        assert response.status_code == 200


def token(username, password, ip=A, **headers):
    return APIClient(HTTP_ACCEPT_LANGUAGE="en").post(TOKEN_URL, {"username": username, "password": password},
                                                     format="json", REMOTE_ADDR=ip, **headers)


# --- one address's failures never lock out other users ------------------------------------------


@pytest.mark.django_db
def test_failures_with_made_up_user_names_from_one_address_do_not_block_a_real_user(alice):
    for _ in range(25):  # a scanner trying random names
        fail(f"user-{uuid.uuid4().hex[:8]}", ip=A)
    for name in ("admin", "root", "test"):  # and hammering a few
        fail(name, times=LIMIT * 3, ip=A)
    client, r = login("alice", PASSWORD, ip=A)
    assert r.status_code == 302
    assert logged_in(client)
    assert token("alice", PASSWORD, ip=A).status_code == 200


@pytest.mark.django_db
def test_failures_for_one_user_from_one_address_lock_that_pair_only(alice, bob):
    fail("alice", times=LIMIT, ip=A)
    client, r = login("alice", PASSWORD, ip=A)
    assert LOCK_EN in r.content.decode()
    assert not logged_in(client)
    assert token("alice", PASSWORD, ip=A).status_code == 429
    # the same user from another address
    client, r = login("alice", PASSWORD, ip=B)
    assert r.status_code == 302 and logged_in(client)
    assert token("alice", PASSWORD, ip=B).status_code == 200
    # another user from the same address
    client, r = login("bob", PASSWORD, ip=A)
    assert r.status_code == 302 and logged_in(client)
    assert token("bob", PASSWORD, ip=A).status_code == 200


@pytest.mark.django_db
def test_the_limit_th_failure_already_says_so_and_wrong_passwords_before_do_not(alice):
    for _ in range(LIMIT - 1):
        _client_, r = login("alice", "wrong-password")
        assert LOCK_EN not in r.content.decode()
    _client_, r = login("alice", "wrong-password")
    assert LOCK_EN in r.content.decode()


@pytest.mark.django_db
def test_user_name_case_does_not_escape_the_lock(alice):
    fail("ALICE", times=LIMIT)
    client, r = login(" alice", PASSWORD)
    assert LOCK_EN in r.content.decode()
    assert not logged_in(client)


@pytest.mark.django_db
def test_a_success_clears_the_pair(alice):
    for _round in range(3):
        fail("alice", times=LIMIT - 1)
        client, r = login("alice", PASSWORD)
        assert r.status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_the_lock_message_is_in_chinese_and_in_english(alice):
    fail("alice", times=LIMIT, language="zh-hans")
    _client_, r = login("alice", PASSWORD, language="zh-hans")
    body = r.content.decode()
    assert LOCK_ZH in body and "15 分钟" in body
    _client_, r = login("alice", PASSWORD, language="en")
    body = r.content.decode()
    assert LOCK_EN in body and "in 15 minutes" in body
    r = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans").post(TOKEN_URL, {"username": "alice", "password": PASSWORD},
                                                      format="json", REMOTE_ADDR=A)
    assert r.status_code == 429 and LOCK_ZH in r.json()["detail"]


# --- the wait: grows while the pair keeps trying, ends by itself ---------------------------------


def _minutes(response) -> int:
    import re

    match = re.search(r"in (\d+) minutes", response.content.decode())
    assert match, response.content.decode()[:500]
    return int(match[1])


@pytest.mark.django_db
def test_the_wait_grows_while_the_pair_keeps_trying(alice, settings):
    settings.LOGIN_COOLOFF_MAX = 2 * 3600
    fail("alice", times=LIMIT - 1)
    _client_, r = login("alice", "wrong-password")
    assert _minutes(r) == 15
    waits = []
    for _round in range(4):  # a script that keeps trying while it is locked out
        for _ in range(LIMIT):
            _client_, r = login("alice", "wrong-password")
        waits.append(_minutes(r))
    assert waits == [30, 60, 120, 120]  # doubled each round, up to LOGIN_COOLOFF_MAX
    # and the other address is still not affected
    client, r = login("alice", PASSWORD, ip=B)
    assert r.status_code == 302


@pytest.mark.django_db
def test_after_the_wait_the_right_password_works_again(alice):
    from axes.models import AccessAttempt, AccessAttemptExpiration

    fail("alice", times=LIMIT)
    assert LOCK_EN in login("alice", PASSWORD)[1].content.decode()
    earlier = timezone.now() - timedelta(minutes=16)  # the wait was 15 minutes from the last attempt
    AccessAttempt.objects.update(attempt_time=earlier)
    AccessAttemptExpiration.objects.update(expires_at=earlier + timedelta(minutes=15))
    client, r = login("alice", PASSWORD)
    assert r.status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_the_admin_login_is_locked_per_pair_too(hq):
    UserFactory(username="root", branch=hq, is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(LIMIT):
        _client().post(url, {"username": "root", "password": "wrong-password"}, REMOTE_ADDR=A)
    r = _client().post(url, {"username": "root", "password": PASSWORD}, REMOTE_ADDR=A)
    assert LOCK_EN in r.content.decode()
    client = _client()
    r = client.post(url, {"username": "root", "password": PASSWORD, "next": "/admin/"}, REMOTE_ADDR=B)
    assert r.status_code == 302 and logged_in(client)


# --- the client address behind trusted proxies ----------------------------------------------------


def test_the_trusted_proxy_setting_names_the_ipware_count_and_headers():
    from serviceloop.settings import trusted_proxy_ipware

    assert trusted_proxy_ipware(0) == (None, ("REMOTE_ADDR",))
    assert trusted_proxy_ipware(1) == (0, ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"))
    assert trusted_proxy_ipware(2) == (1, ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"))


@pytest.fixture
def proxies(settings):
    from serviceloop.settings import trusted_proxy_ipware

    def use(count: int) -> None:
        settings.TRUSTED_PROXIES = count
        settings.AXES_IPWARE_PROXY_COUNT, settings.AXES_IPWARE_META_PRECEDENCE_ORDER = trusted_proxy_ipware(count)

    return use


def _address(**meta) -> str | None:
    return client_ip(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_x_forwarded_for_is_ignored(proxies):
    proxies(0)
    assert _address(REMOTE_ADDR=A, HTTP_X_FORWARDED_FOR=B) == A


def test_one_trusted_proxy_gives_the_address_it_saw(proxies):
    proxies(1)
    assert _address(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=A) == A
    # what a client writes in the header itself stands left of what the proxy appended
    assert _address(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {A}") == A
    assert _address(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{B}, 8.8.8.8, {A}") == A
    # no header: the proxy's own address (a request that did not come through it)
    assert _address(REMOTE_ADDR=PROXY) == PROXY


def test_two_trusted_proxies_give_the_address_the_outer_one_saw(proxies):
    proxies(2)
    assert _address(REMOTE_ADDR=PROXY2, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {A}, {PROXY}") == A


@pytest.mark.django_db
def test_behind_a_trusted_proxy_clients_are_locked_out_by_their_own_address(alice, proxies):
    proxies(1)
    for spoof in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):  # a client varying the header it sends
        fail("alice", ip=PROXY, HTTP_X_FORWARDED_FOR=f"{spoof}, {A}")
    client, r = login("alice", PASSWORD, ip=PROXY, HTTP_X_FORWARDED_FOR=A)
    assert LOCK_EN in r.content.decode() and not logged_in(client)
    # another client behind the same proxy
    client, r = login("alice", PASSWORD, ip=PROXY, HTTP_X_FORWARDED_FOR=B)
    assert r.status_code == 302 and logged_in(client)


@pytest.mark.django_db
def test_without_trusted_proxies_a_forged_header_does_not_escape_the_lock(alice, proxies):
    proxies(0)
    for n in range(LIMIT):
        fail("alice", ip=A, HTTP_X_FORWARDED_FOR=f"9.9.9.{n}")
    client, r = login("alice", PASSWORD, ip=A, HTTP_X_FORWARDED_FOR="9.9.9.200")
    assert LOCK_EN in r.content.decode() and not logged_in(client)


@pytest.mark.django_db
def test_the_audit_rows_record_the_client_address_behind_the_proxy(cast, client, proxies):
    proxies(1)
    client.force_login(cast.outsider)
    assert client.get(reverse("customers:detail", args=[cast.customer_a.pk]), REMOTE_ADDR=PROXY,
                      HTTP_X_FORWARDED_FOR=A).status_code == 404
    assert AuthorizationFailure.objects.get().ip == A

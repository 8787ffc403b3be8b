"""The admin: every model registered and opening; saves go through services; audit tables read-only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from serviceloop.accounts.models import Branch, Department, EngineerProfile, Skill, User
from serviceloop.accounts.tests.factories import EngineerSkillFactory, UserFactory
from serviceloop.assets.models import ProductModel, SalesOrder, ServiceContract, Unit
from serviceloop.assets.tests.factories import (
    ProductModelFactory,
    SalesOrderLineFactory,
    ServiceContractFactory,
    UnitFactory,
)
from serviceloop.core.access import audit_denial
from serviceloop.core.admin import CappedCountPaginator
from serviceloop.core.models import (
    Attachment,
    AuthorizationFailure,
    CalendarDay,
    DocumentSequence,
    TimelineEvent,
    WorkCalendar,
    WorkerHeartbeat,
)
from serviceloop.core.numbering import next_number
from serviceloop.core.tasks import beat
from serviceloop.core.timeline import events_for, record_event
from serviceloop.customers.models import Contact, Customer, Site
from serviceloop.customers.tests.factories import ContactFactory, SiteFactory

OUR_MODELS = [
    Branch, Department, User, Skill, EngineerProfile,
    Customer, Site, Contact,
    ProductModel, SalesOrder, Unit, ServiceContract,
    TimelineEvent, AuthorizationFailure, WorkerHeartbeat, DocumentSequence, Attachment, WorkCalendar, CalendarDay,
]
HISTORIED = [Branch, Department, EngineerProfile, Customer, Site, Contact, ProductModel, SalesOrder, Unit,
             ServiceContract]
READ_ONLY = [TimelineEvent, AuthorizationFailure, WorkerHeartbeat, DocumentSequence]


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def client(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def root(hq):
    return UserFactory(username="root", is_superuser=True, is_staff=True, branch=hq)


@pytest.fixture
def rows(cast, root):
    """One row of every model."""
    unit = UnitFactory(customer=cast.customer_a, site=SiteFactory(customer=cast.customer_a),
                       so_line=SalesOrderLineFactory(order__customer=cast.customer_a))
    ContactFactory(customer=cast.customer_a)
    ServiceContractFactory(customer=cast.customer_a).units.add(unit)
    EngineerSkillFactory()
    Department.objects.create(code="SVC", name="服务部")
    record_event(unit, actor=root, verb="created")
    audit_denial(None, action="view", target="x", outcome="not_found", user=cast.outsider)
    beat()
    next_number("SO")
    Attachment.objects.create(
        content_type=ContentType.objects.get_for_model(Unit), object_id=unit.pk,
        file=ContentFile(b"hello", name="note.txt"), original_name="说明.txt", content_type_sniffed="text/plain",
        size=5, sha256="0" * 64, uploaded_by=root, uploaded_at=timezone.now(),
    )
    WorkCalendar.objects.create(code="STD", name="标准工作日历", is_default=True)
    CalendarDay.objects.create(date=dt.date(2026, 10, 11), is_working=True, note="调休")
    return unit


def test_every_model_of_our_apps_is_registered():
    registered = set(admin.site._registry)
    assert set(OUR_MODELS) <= registered
    for model in OUR_MODELS:
        model_admin = admin.site._registry[model]
        assert model_admin.show_full_result_count is False, model
    from simple_history.admin import SimpleHistoryAdmin

    for model in HISTORIED:
        assert isinstance(admin.site._registry[model], SimpleHistoryAdmin), model
    for model in (Unit, TimelineEvent):
        assert issubclass(admin.site._registry[model].paginator, CappedCountPaginator), model


@pytest.mark.django_db
def test_every_admin_page_opens_for_the_superuser(client, root, rows):
    client.force_login(root)
    assert client.get(reverse("admin:index")).status_code == 200
    for model in OUR_MODELS:
        r = client.get(_url(model, "changelist"))
        assert r.status_code == 200, model
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, model
        assert client.get(_url(model, "change", obj.pk)).status_code == 200, model
        if model in HISTORIED:
            assert client.get(_url(model, "history", obj.pk)).status_code == 200, model
        if model not in READ_ONLY and model is not Attachment:
            assert client.get(_url(model, "add")).status_code == 200, model
    # search boxes work
    for model, term in [(Unit, rows.serial_number[:4]), (Customer, "甲"), (TimelineEvent, str(rows.pk)),
                        (TimelineEvent, "created"), (User, "owner"), (AuthorizationFailure, "outsider")]:
        r = client.get(_url(model, "changelist"), {"q": term})
        assert r.status_code == 200, model


@pytest.mark.django_db
def test_audit_tables_are_read_only_even_for_the_superuser(client, root, rows):
    client.force_login(root)
    for model in READ_ONLY:
        obj = model._default_manager.first()
        assert client.get(_url(model, "add")).status_code == 403, model
        assert client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403, model
        body = client.get(_url(model, "change", obj.pk)).content.decode()
        assert 'name="_save"' not in body, model
    assert AuthorizationFailure.objects.count() == 1


@pytest.mark.django_db
def test_big_lists_never_count_the_whole_table(client, root, rows):
    client.force_login(root)
    for model, table in [(Unit, Unit._meta.db_table), (TimelineEvent, TimelineEvent._meta.db_table)]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(model, "changelist")).status_code == 200
        counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and table in q["sql"]]
        assert counts, model
        assert all("LIMIT" in sql.upper() for sql in counts), counts


@pytest.mark.django_db
def test_capped_paginator_stops_counting_at_the_cap(cast):
    class Small(CappedCountPaginator):
        cap = 3

    for _ in range(5):
        UnitFactory(customer=cast.customer_a)
    assert Small(Unit.objects.all(), 2).count == 4  # cap + 1: "more than 3"
    assert CappedCountPaginator(Unit.objects.all(), 2).count == 5
    assert CappedCountPaginator(list(range(7)), 2).num_pages == 4


@pytest.mark.django_db
def test_sysadmin_sees_refused_accesses_in_admin(client, hq, rows):
    sysadmin = UserFactory(username="sa", is_staff=True, branch=hq, roles=["sysadmin"])
    client.force_login(sysadmin)
    r = client.get(_url(AuthorizationFailure, "changelist"))
    assert r.status_code == 200
    assert "outsider" in r.content.decode()
    desk = UserFactory(username="desk2", is_staff=True, branch=hq, roles=["service_desk"])
    client.force_login(desk)
    assert client.get(_url(AuthorizationFailure, "changelist")).status_code == 403


@pytest.mark.django_db
def test_admin_save_goes_through_the_service(client, root, hq):
    client.force_login(root)
    r = client.post(_url(Customer, "add"), {"code": " new-1 ", "name": "新客户有限公司", "level": "A", "branch": hq.pk})
    assert r.status_code == 302, r.content.decode()[:2000]
    customer = Customer.objects.get(name="新客户有限公司")
    assert customer.code == "NEW-1"  # customer_save normalises the code
    assert customer.updated_by == root
    assert [e.verb for e in events_for(customer)] == ["created"]
    assert customer.history.first().history_user == root
    r = client.post(_url(Customer, "change", customer.pk),
                    {"code": "NEW-1", "name": "新客户股份有限公司", "level": "B", "branch": hq.pk})
    assert r.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("新客户股份有限公司", 2)
    assert [e.verb for e in events_for(customer)] == ["updated", "created"]


@pytest.mark.django_db
def test_admin_unit_save_derives_the_warranty(client, root, cast):
    client.force_login(root)
    model = ProductModelFactory(warranty_months=12)
    unit = UnitFactory(customer=cast.customer_a, product_model=model, ship_date=dt.date(2025, 1, 15))
    data = {"serial_number": unit.serial_number, "product_model": model.pk, "customer": cast.customer_a.pk,
            "site": "", "so_line": "", "status": "in_service", "ship_date": "2025-01-15",
            "install_date": "2025-02-01", "acceptance_date": "2025-03-10", "note": ""}
    r = client.post(_url(Unit, "change", unit.pk), data)
    assert r.status_code == 302, r.content.decode()[:3000]
    unit.refresh_from_db()
    assert (unit.warranty_basis, unit.warranty_end) == ("acceptance", dt.date(2026, 3, 9))
    assert unit.version == 2


@pytest.mark.django_db
def test_admin_refuses_a_contact_on_another_customers_site(client, root, cast):
    client.force_login(root)
    site_b = SiteFactory(customer=cast.customer_b)
    r = client.post(_url(Contact, "add"), {"customer": cast.customer_a.pk, "site": site_b.pk, "name": "张三",
                                           "title": "", "phone": "13900000000", "email": ""})
    assert r.status_code == 200
    assert "This site belongs to another customer." in r.content.decode()
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_admin_refuses_a_contract_covering_another_customers_unit(client, root, cast):
    client.force_login(root)
    foreign = UnitFactory(customer=cast.customer_b)
    r = client.post(_url(ServiceContract, "add"), {
        "number": "SC-X-1", "customer": cast.customer_a.pk, "title": "维保", "start_date": "2026-01-01",
        "end_date": "2026-12-31", "sla_level": "standard", "price": "1000", "units": [foreign.pk], "note": "",
    })
    assert r.status_code == 200
    assert "These units belong to another customer" in r.content.decode()
    assert not ServiceContract.objects.exists()


@pytest.mark.django_db
def test_admin_refuses_staff_user_with_customer_scope(client, root, cast):
    client.force_login(root)
    user = cast.owner
    from django.contrib.auth.models import Group

    desk = Group.objects.get(name="service_desk")
    r = client.post(_url(User, "change", user.pk), {
        "username": user.username, "display_name": user.display_name, "phone": "", "email": "", "first_name": "",
        "last_name": "", "customer": cast.customer_a.pk, "branch": "", "department": "", "is_active": "on",
        "groups": [desk.pk], "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    })
    assert r.status_code == 200
    assert "A customer portal user has the customer role and no other." in r.content.decode()
    user.refresh_from_db()
    assert user.role_names == ["customer"]


def _user_form(user, **changes):
    data = {
        "username": user.username, "display_name": user.display_name, "phone": "", "email": "", "first_name": "",
        "last_name": "", "customer": "", "branch": "", "department": "", "is_active": "on",
        "groups": [], "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "scope", "message"), [
    ("branch_staff", {}, "Branch office staff must belong to a regional branch, not to headquarters."),
    ("branch_staff", {"branch": "hq"}, "Branch office staff must belong to a regional branch, not to headquarters."),
    ("customer", {}, "A customer portal user must belong to a customer."),
])
def test_admin_refuses_a_scoped_role_without_its_scope(client, root, cast, hq, role, scope, message):
    """Such a user would see nothing (deny by default): the form says so instead of saving them."""
    from django.contrib.auth.models import Group

    client.force_login(root)
    user = UserFactory(username="newbie", roles=["quality"])
    group = Group.objects.get(name=role)
    data = _user_form(user, groups=[group.pk], **{k: hq.pk for k in scope})
    r = client.post(_url(User, "change", user.pk), data)
    assert r.status_code == 200
    assert message in r.content.decode()
    user.refresh_from_db()
    assert user.role_names == ["quality"]
    # with the scope the same form saves
    fixed = dict(data, **({"customer": cast.customer_a.pk} if role == "customer" else {"branch": cast.east_staff.branch_id}))
    assert client.post(_url(User, "change", user.pk), fixed).status_code == 302
    user.refresh_from_db()
    assert user.role_names == [role]

"""seed_demo: a whole demo company on an empty database, one working login per role, right scopes."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from serviceloop.accounts.demo import ADMIN_USERNAME, DEMO_LOGINS, DEMO_PASSWORD, MORE_ENGINEERS, seed_demo
from serviceloop.accounts.models import Branch, Department, EngineerProfile, User
from serviceloop.accounts.roles import ALL_ROLES
from serviceloop.assets.models import ProductModel, SalesOrder, ServiceContract, Unit
from serviceloop.core.models import TimelineEvent
from serviceloop.customers.models import Contact, Customer, Site


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db):
    _seed()


@pytest.mark.django_db
def test_seed_demo_builds_the_company_on_an_empty_database():
    output = _seed()
    assert "华东精工装备股份有限公司" in output
    assert set(Branch.objects.values_list("name", flat=True)) == {"总部", "华东分公司", "华南分公司", "华北分公司"}
    assert Branch.objects.get(is_headquarters=True).city == "苏州"
    assert {"服务部", "技术支持中心", "工艺技术部", "品质部", "生产部", "仓管部", "业务部", "技术部", "总经办"} <= set(
        Department.objects.values_list("name", flat=True)
    )
    assert 25 <= Customer.objects.count() <= 35
    assert set(Customer.objects.values_list("level", flat=True)) == {"A", "B", "C"}
    assert Customer.objects.values("branch").distinct().count() == 4
    for customer in Customer.objects.prefetch_related("sites", "contacts"):
        assert 1 <= len(customer.sites.all()) <= 3
        assert 1 <= len(customer.contacts.all()) <= 3
        assert all(c.phone for c in customer.contacts.all())
    assert set(ProductModel.objects.values_list("service_class", flat=True)) == {"equipment", "tool_kit", "spare_part"}
    assert Unit.objects.count() == 200
    assert not Unit.objects.filter(so_line__isnull=True).exists()
    # every unit's serial number is on its sales order line, and the line's quantity matches
    for unit in Unit.objects.select_related("so_line__order")[:50]:
        assert unit.serial_number in unit.so_line.serial_list()
        assert unit.so_line.order.customer_id == unit.customer_id
        assert len(unit.so_line.serial_list()) == unit.so_line.quantity
    assert SalesOrder.objects.filter(number__startswith="SO-").count() == SalesOrder.objects.count()
    today = timezone.localdate()
    assert Unit.objects.filter(warranty_end__gte=today).exists()
    assert Unit.objects.filter(warranty_end__lt=today).exists()
    assert Unit.objects.filter(ship_date__lt=today - dt.timedelta(days=3 * 365)).exists()
    assert ServiceContract.objects.filter(start_date__lte=today, end_date__gte=today).exists()
    assert ServiceContract.objects.filter(end_date__lt=today).exists()
    assert ServiceContract.objects.filter(start_date__gt=today).exists()
    for contract in ServiceContract.objects.prefetch_related("units"):
        assert contract.units.all() and all(u.customer_id == contract.customer_id for u in contract.units.all())
    # written through the services: timeline events and history
    assert TimelineEvent.objects.filter(verb="created").count() >= Unit.objects.count() + Customer.objects.count()
    assert Unit.history.count() == Unit.objects.count()


@pytest.mark.django_db
def test_seed_demo_creates_one_login_per_role(demo):
    hq = Branch.objects.get(is_headquarters=True)
    for role in ALL_ROLES:
        user = User.objects.get(username=role)
        assert user.role_names == [role]
        assert user.display_name and not user.display_name.isascii()
        assert user.check_password(DEMO_PASSWORD)
        if role == "customer":
            assert user.customer is not None and user.branch is None
            assert Unit.objects.filter(customer=user.customer).exists()
        elif role == "branch_staff":
            assert user.branch.name == "华东分公司"
        else:
            assert user.branch == hq and user.customer is None
    admin = User.objects.get(username=ADMIN_USERNAME)
    assert admin.is_superuser and admin.is_staff and admin.check_password(DEMO_PASSWORD)
    assert User.objects.get(username="sysadmin").is_staff
    assert not User.objects.get(username="service_desk").is_staff
    engineers = Group.objects.get(name="field_engineer").user_set.all()
    assert engineers.count() == 1 + len(MORE_ENGINEERS)
    for profile in EngineerProfile.objects.filter(user__in=engineers):
        assert profile.home_city and profile.phone
        assert profile.home_latitude is not None and profile.home_longitude is not None
        assert profile.skills.exists()
    assert EngineerProfile.objects.count() == engineers.count()


@pytest.mark.django_db
def test_seed_demo_if_empty_is_idempotent(demo):
    counts = (Customer.objects.count(), Unit.objects.count(), User.objects.count(), Site.objects.count(),
              Contact.objects.count(), SalesOrder.objects.count(), ServiceContract.objects.count())
    assert "no demo data loaded" in _seed("--if-empty")
    with pytest.raises(CommandError):
        _seed()
    assert counts == (Customer.objects.count(), Unit.objects.count(), User.objects.count(), Site.objects.count(),
                      Contact.objects.count(), SalesOrder.objects.count(), ServiceContract.objects.count())


@pytest.mark.django_db
def test_seed_demo_keeps_an_existing_admin_and_its_password(db):
    User.objects.create_superuser("admin", password="Own-Secret-77")
    _seed("--units", "20")
    assert User.objects.get(username="admin").check_password("Own-Secret-77")
    assert User.objects.get(username="service_desk").check_password(DEMO_PASSWORD)


class _Rollback(Exception):
    pass


def _fingerprint(seed: int) -> list:
    """Seed inside a savepoint, read the data, roll it back."""
    try:
        with transaction.atomic():
            seed_demo(seed=seed, today=dt.date(2026, 6, 1), units=30)
            result = [
                list(Customer.objects.order_by("code").values_list("code", "name", "level", "address", "phone")),
                list(Unit.objects.order_by("serial_number").values_list(
                    "serial_number", "customer__code", "ship_date", "acceptance_date", "warranty_end")),
                list(ServiceContract.objects.order_by("number").values_list("number", "start_date", "price")),
            ]
            raise _Rollback
    except _Rollback:
        return result


@pytest.mark.django_db
def test_seed_demo_is_deterministic_for_a_seed(db):
    first = _fingerprint(7)
    assert not Customer.objects.exists()
    assert _fingerprint(7) == first
    assert _fingerprint(8) != first


@pytest.mark.django_db
def test_every_demo_login_can_log_in_and_open_home(client, demo):
    for username in [ADMIN_USERNAME, *(s.username for s in DEMO_LOGINS)]:
        r = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
        assert r.status_code == 302, username
        assert r["Location"] == reverse("home")
        home = client.get(reverse("home"), follow=True)  # some roles land on their own home page
        assert home.status_code == 200, username
        client.post(reverse("logout"))


@pytest.mark.django_db
def test_demo_scopes_branch_staff_and_customer(client, demo):
    east = Branch.objects.get(code="EAST")
    client.force_login(User.objects.get(username="branch_staff"))
    body = client.get(reverse("customers:list")).content.decode()
    east_customers = Customer.objects.filter(branch=east)
    assert 0 < east_customers.count() <= 25  # one page
    for customer in Customer.objects.all():
        assert (customer.name in body) == (customer.branch_id == east.pk), customer.name

    portal = User.objects.get(username="customer")
    client.force_login(portal)
    body = client.get(reverse("assets:unit_list")).content.decode()
    own = list(Unit.objects.filter(customer=portal.customer).values_list("serial_number", flat=True))
    assert own and any(serial in body for serial in own)
    for serial in Unit.objects.exclude(customer=portal.customer).values_list("serial_number", flat=True):
        assert serial not in body
    other = Unit.objects.exclude(customer=portal.customer).first()
    assert client.get(reverse("assets:unit_detail", args=[other.pk])).status_code == 404


@pytest.mark.django_db
def test_print_demo_logins_tables(demo):
    out = StringIO()
    call_command("print_demo_logins", "--markdown", stdout=out)
    lines = out.getvalue().splitlines()
    rows = [line for line in lines if line.startswith("| ") and "`" in line]
    assert len(rows) == len(ALL_ROLES) + 1
    assert lines[0] == "| Role | 角色 | Username | Password | Scope |"
    desk = next(line for line in rows if "`service_desk`" in line)
    assert "Service desk" in desk and "服务台" in desk and "`demo1234`" in desk and "headquarters" in desk
    branch = next(line for line in rows if "`branch_staff`" in line)
    assert "华东分公司" in branch
    customer = User.objects.get(username="customer").customer
    assert customer.name in next(line for line in rows if "`customer`" in line)

    out = StringIO()
    call_command("print_demo_logins", stdout=out)
    text = out.getvalue()
    assert "service_desk" in text and "demo1234" in text and "|" not in text


@pytest.mark.django_db
def test_print_demo_logins_on_a_database_without_demo(db):
    out, err = StringIO(), StringIO()
    call_command("print_demo_logins", stdout=out, stderr=err)
    assert out.getvalue() == ""
    assert "seed_demo" in err.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("today", [dt.date(2024, 2, 29), dt.date(2027, 1, 1)])
def test_seed_demo_always_shows_each_contract_state(today):
    seed_demo(seed=3, today=today, units=60)
    assert ServiceContract.objects.filter(start_date__lte=today, end_date__gte=today).exists()
    assert ServiceContract.objects.filter(end_date__lt=today).exists()
    assert ServiceContract.objects.filter(start_date__gt=today).exists()
    assert not Unit.objects.filter(ship_date__gt=today).exists()


@pytest.mark.django_db
def test_the_demo_has_spare_parts_in_every_state_and_clean_books():
    from serviceloop.parts.checks import check_books
    from serviceloop.parts.models import Location, Part, Requisition

    seed_demo(seed=3, units=60)
    assert Part.objects.count() == 150
    assert {"hq", "branch", "van", "bench", "quarantine", "scrap", "transit"} <= set(
        Location.objects.values_list("kind", flat=True))
    assert set(Requisition.objects.values_list("status", flat=True)) >= {"submitted", "approved", "refused"}
    assert check_books() == []

"""The access gate: which rows each member of the cast sees and may change, for every scoped model.

``restrict(user, action)`` decides what a user may see (scope) and do (role permission);
``get_for_user`` turns that into 404 (invisible) / 403 (visible, not allowed) with an audit row.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from serviceloop.accounts.models import Branch, Department, EngineerProfile, Skill
from serviceloop.accounts.tests.factories import (
    DepartmentFactory,
    EngineerProfileFactory,
    SkillFactory,
    UserFactory,
)
from serviceloop.assets.models import ProductModel, SalesOrder, SalesOrderLine, ServiceContract, Unit
from serviceloop.assets.tests.factories import (
    ProductModelFactory,
    SalesOrderFactory,
    SalesOrderLineFactory,
    ServiceContractFactory,
    UnitFactory,
)
from serviceloop.core.access import get_for_user, require_model_perm
from serviceloop.core.models import AuthorizationFailure
from serviceloop.core.scoping import has_model_perm, scope_of
from serviceloop.customers.models import Contact, Customer, Site
from serviceloop.customers.tests.factories import ContactFactory, SiteFactory

USERS = ["owner", "colleague", "outsider", "desk", "east_staff", "south_staff", "manager", "nobody", "anonymous"]
ALL = "all"  # every row of the table
NONE: frozenset[str] = frozenset()
A, B = frozenset({"a"}), frozenset({"b"})

# Per model: who sees which rows ("a" = customer A's / the east branch's, "b" = customer B's / south's).
CUSTOMER_VIEW = {
    "owner": A, "colleague": A, "outsider": B, "desk": ALL, "east_staff": A, "south_staff": B,
    "manager": ALL, "nobody": NONE, "anonymous": NONE,
}
# customers, sites, contacts and units: branch staff edit their region's; HQ desk and manager all
MASTER_CHANGE = {**{u: NONE for u in USERS}, "desk": ALL, "east_staff": A, "south_staff": B, "manager": ALL}
# sales orders, their lines and contracts: headquarters only
HQ_CHANGE = {**{u: NONE for u in USERS}, "desk": ALL, "manager": ALL}
STAFF_VIEW_ALL = {**{u: NONE for u in USERS}, "desk": ALL, "east_staff": ALL, "south_staff": ALL, "manager": ALL}
NOBODY_CHANGES = {u: NONE for u in USERS}

EXPECTED = {
    "customer": (CUSTOMER_VIEW, MASTER_CHANGE),
    "site": (CUSTOMER_VIEW, MASTER_CHANGE),
    "contact": (CUSTOMER_VIEW, MASTER_CHANGE),
    "unit": (CUSTOMER_VIEW, MASTER_CHANGE),
    "salesorder": (CUSTOMER_VIEW, HQ_CHANGE),
    "salesorderline": (CUSTOMER_VIEW, HQ_CHANGE),
    "servicecontract": (CUSTOMER_VIEW, HQ_CHANGE),
    # engineers belong to a branch: branch staff see their own; customers see none
    "engineerprofile": (
        {**{u: NONE for u in USERS}, "desk": ALL, "east_staff": A, "south_staff": B, "manager": ALL},
        {**{u: NONE for u in USERS}, "manager": ALL},
    ),
    # global reference data: anyone whose role holds the view permission sees every row
    "productmodel": (
        {**{u: ALL for u in USERS}, "nobody": NONE, "anonymous": NONE},
        {**{u: NONE for u in USERS}, "manager": ALL},
    ),
    "branch": (STAFF_VIEW_ALL, NOBODY_CHANGES),
    "department": (STAFF_VIEW_ALL, NOBODY_CHANGES),
    "skill": (STAFF_VIEW_ALL, NOBODY_CHANGES),
}
MODELS = {
    "customer": Customer, "site": Site, "contact": Contact, "unit": Unit, "salesorder": SalesOrder,
    "salesorderline": SalesOrderLine, "servicecontract": ServiceContract, "engineerprofile": EngineerProfile,
    "productmodel": ProductModel, "branch": Branch, "department": Department, "skill": Skill,
}


@pytest.fixture
def world(cast, hq, east, south):
    """Two of everything: one on customer A's (east) side, one on customer B's (south) side."""
    a, b = cast.customer_a, cast.customer_b
    so_a, so_b = SalesOrderFactory(customer=a), SalesOrderFactory(customer=b)
    rows = {
        "customer": {"a": a, "b": b},
        "site": {"a": SiteFactory(customer=a), "b": SiteFactory(customer=b)},
        "contact": {"a": ContactFactory(customer=a), "b": ContactFactory(customer=b)},
        # a unit in stock belongs to no customer: only headquarters sees it
        "unit": {"a": UnitFactory(customer=a), "b": UnitFactory(customer=b), "stock": UnitFactory(customer=None)},
        "salesorder": {"a": so_a, "b": so_b},
        "salesorderline": {"a": SalesOrderLineFactory(order=so_a), "b": SalesOrderLineFactory(order=so_b)},
        "servicecontract": {"a": ServiceContractFactory(customer=a), "b": ServiceContractFactory(customer=b)},
        "engineerprofile": {
            "a": EngineerProfileFactory(user=UserFactory(branch=east, roles=["field_engineer"])),
            "b": EngineerProfileFactory(user=UserFactory(branch=south, roles=["field_engineer"])),
            "hq": EngineerProfileFactory(user=UserFactory(branch=hq, roles=["field_engineer"])),
        },
        "productmodel": {"x": ProductModelFactory()},
        "branch": {"hq": hq, "a": east, "b": south},
        "department": {"x": DepartmentFactory()},
        "skill": {"x": SkillFactory()},
    }
    return rows


def _user(cast, key):
    return AnonymousUser() if key == "anonymous" else getattr(cast, key)


def _expected_pks(model, rows, expected):
    if expected == ALL:
        return set(model.objects.values_list("pk", flat=True))
    return {rows[label].pk for label in expected}


@pytest.mark.django_db
@pytest.mark.parametrize("model_key", list(EXPECTED))
@pytest.mark.parametrize("user_key", USERS)
def test_restrict_view_and_change(cast, world, model_key, user_key):
    model = MODELS[model_key]
    view, change = EXPECTED[model_key]
    user = _user(cast, user_key)
    rows = world[model_key]
    seen = set(model.objects.restrict(user, "view").values_list("pk", flat=True))
    assert seen == _expected_pks(model, rows, view[user_key]), f"{user_key} views {model_key}"
    changeable = set(model.objects.restrict(user, "change").values_list("pk", flat=True))
    assert changeable == _expected_pks(model, rows, change[user_key]), f"{user_key} changes {model_key}"
    # nobody may change what they cannot see
    assert changeable <= seen


@pytest.mark.django_db
def test_scope_of_the_cast(cast):
    assert scope_of(cast.owner).kind == "customer" and scope_of(cast.owner).key == cast.customer_a.pk
    assert scope_of(cast.outsider).key == cast.customer_b.pk
    assert scope_of(cast.east_staff).kind == "branch"
    assert scope_of(cast.desk).kind == "all"
    assert scope_of(cast.manager).kind == "all"
    assert scope_of(cast.nobody).kind == "none"
    assert scope_of(AnonymousUser()).kind == "none"
    assert scope_of(None).kind == "none"


@pytest.mark.django_db
def test_inactive_user_sees_nothing(cast):
    cast.manager.is_active = False
    cast.manager.save()
    manager = type(cast.manager).objects.get(pk=cast.manager.pk)
    assert not Customer.objects.restrict(manager, "view").exists()


@pytest.mark.django_db
def test_superuser_sees_everything(cast):
    admin = UserFactory(is_superuser=True)
    assert set(Customer.objects.restrict(admin, "delete")) == {cast.customer_a, cast.customer_b}


@pytest.mark.django_db
def test_restrict_is_chainable_and_ignores_unknown_rows(cast):
    qs = Customer.objects.filter(code__startswith="C").restrict(cast.east_staff, "view").filter(name="甲公司")
    assert list(qs) == [cast.customer_a]


@pytest.mark.django_db
def test_unknown_action_is_a_programming_error(cast):
    with pytest.raises(ValueError):
        has_model_perm(cast.desk, Customer, "approve")


# -- get_for_user / require_model_perm: 404, 403, one audit row per refusal --------------------------


def _request(user, path="/x/"):
    request = RequestFactory().get(path, REMOTE_ADDR="10.0.0.7")
    request.user = user
    return request


@pytest.mark.django_db
def test_get_for_user_returns_a_visible_record_without_audit(cast):
    assert get_for_user(_request(cast.owner), Customer, "view", pk=cast.customer_a.pk) == cast.customer_a
    assert get_for_user(_request(cast.east_staff), Customer, "change", pk=cast.customer_a.pk) == cast.customer_a
    assert AuthorizationFailure.objects.count() == 0


@pytest.mark.django_db
def test_get_for_user_invisible_is_404_with_one_audit_row(cast):
    with pytest.raises(Http404):
        get_for_user(_request(cast.outsider, "/customers/1/"), Customer, "view", pk=cast.customer_a.pk)
    failure = AuthorizationFailure.objects.get()
    assert failure.user == cast.outsider
    assert failure.username == "outsider"
    assert failure.outcome == "not_found"
    assert failure.ip == "10.0.0.7"
    assert failure.path == "/customers/1/"
    assert "customers.Customer" in failure.target


@pytest.mark.django_db
def test_get_for_user_visible_not_allowed_is_403_with_one_audit_row(cast):
    with pytest.raises(PermissionDenied):
        get_for_user(_request(cast.owner), Customer, "change", pk=cast.customer_a.pk)
    failure = AuthorizationFailure.objects.get()
    assert (failure.outcome, failure.action, failure.target) == (
        "forbidden", "change", f"customers.Customer:{cast.customer_a.pk}"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("pk", [999_999, "abc", None])
def test_get_for_user_missing_or_malformed_key_is_404(cast, pk):
    with pytest.raises(Http404):
        get_for_user(_request(cast.manager), Customer, "view", pk=pk)
    assert AuthorizationFailure.objects.filter(outcome="not_found").count() == 1


@pytest.mark.django_db
def test_get_for_user_anonymous_is_404_and_audited_without_user(cast):
    with pytest.raises(Http404):
        get_for_user(_request(AnonymousUser()), Customer, "view", pk=cast.customer_a.pk)
    failure = AuthorizationFailure.objects.get()
    assert failure.user is None and failure.username == ""


@pytest.mark.django_db
def test_get_for_user_respects_a_narrower_queryset(cast):
    with pytest.raises(Http404):
        get_for_user(_request(cast.manager), Customer, "view",
                     queryset=Customer.objects.filter(branch__code="SOUTH"), pk=cast.customer_a.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("user_key", "allowed"),
    [("owner", False), ("outsider", False), ("desk", True), ("east_staff", True), ("manager", True),
     ("nobody", False), ("anonymous", False)],
)
def test_require_model_perm_add_customer(cast, user_key, allowed):
    request = _request(_user(cast, user_key))
    if allowed:
        require_model_perm(request, Customer, "add")
        assert AuthorizationFailure.objects.count() == 0
    else:
        with pytest.raises(PermissionDenied):
            require_model_perm(request, Customer, "add")
        assert AuthorizationFailure.objects.filter(outcome="forbidden", action="add").count() == 1

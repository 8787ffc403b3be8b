"""Shared fixtures. Every access test uses the same cast: owner, colleague, outsider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from serviceloop.accounts.tests.factories import BranchFactory, UserFactory
from serviceloop.customers.tests.factories import CustomerFactory


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def hq(db):
    return BranchFactory(code="HQ", name="总部", is_headquarters=True)


@pytest.fixture
def east(db):
    return BranchFactory(code="EAST", name="华东分公司", city="上海")


@pytest.fixture
def south(db):
    return BranchFactory(code="SOUTH", name="华南分公司", city="深圳")


@dataclass
class Cast:
    """Customer A (owner + colleague portal users) and customer B (outsider), branches east/south."""

    customer_a: Any
    customer_b: Any
    owner: Any
    colleague: Any
    outsider: Any
    desk: Any
    east_staff: Any
    south_staff: Any
    manager: Any
    nobody: Any


@pytest.fixture
def cast(hq, east, south):
    customer_a = CustomerFactory(code="CA", name="甲公司", branch=east)
    customer_b = CustomerFactory(code="CB", name="乙公司", branch=south)
    return Cast(
        customer_a=customer_a,
        customer_b=customer_b,
        owner=UserFactory(username="owner", customer=customer_a, roles=["customer"]),
        colleague=UserFactory(username="colleague", customer=customer_a, roles=["customer"]),
        outsider=UserFactory(username="outsider", customer=customer_b, roles=["customer"]),
        desk=UserFactory(username="desk", branch=hq, roles=["service_desk"]),
        east_staff=UserFactory(username="east", branch=east, roles=["branch_staff"]),
        south_staff=UserFactory(username="south", branch=south, roles=["branch_staff"]),
        manager=UserFactory(username="manager", branch=hq, roles=["service_manager"]),
        nobody=UserFactory(username="nobody"),
    )



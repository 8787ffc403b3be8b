"""Records for API tests: the same few rows for customer A (east branch) and customer B (south).

Used with conftest's ``cast``: owner/colleague see A, outsider sees B, east staff A, south
staff B, the desk and the manager both, nobody nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from serviceloop.accounts.tests.factories import (
    DepartmentFactory,
    EngineerProfileFactory,
    EngineerSkillFactory,
    SkillFactory,
    UserFactory,
)
from serviceloop.assets.tests.factories import (
    ProductModelFactory,
    SalesOrderFactory,
    SalesOrderLineFactory,
    ServiceContractFactory,
    UnitFactory,
)
from serviceloop.core.attachments import attachment_add
from serviceloop.customers.tests.factories import ContactFactory, SiteFactory

# who sees customer A's and customer B's records
SEES = {
    "owner": {"a"},
    "colleague": {"a"},
    "outsider": {"b"},
    "east_staff": {"a"},
    "south_staff": {"b"},
    "desk": {"a", "b"},
    "manager": {"a", "b"},
    "nobody": set(),
}


@dataclass
class Side:
    """The records of one customer."""

    customer: Any
    site: Any
    contact: Any
    order: Any
    line: Any
    unit: Any
    contract: Any
    attachment: Any


@dataclass
class World:
    cast: Any
    product_model: Any
    a: Side
    b: Side
    skill: Any
    department: Any
    engineer_east: Any
    engineer_south: Any
    engineer_hq: Any

    def user(self, name: str) -> Any:
        return getattr(self.cast, name)


def _side(customer: Any, product_model: Any, uploader: Any, tag: str) -> Side:
    site = SiteFactory(customer=customer, name=f"{tag} 一号车间")
    contact = ContactFactory(customer=customer, site=site, name=f"{tag} 联系人")
    order = SalesOrderFactory(customer=customer, number=f"SO-{tag}-001")
    line = SalesOrderLineFactory(order=order, line_no=1, product_model=product_model, quantity=1,
                                 serial_numbers=f"SN-{tag}-1")
    unit = UnitFactory(serial_number=f"SN-{tag}-1", customer=customer, site=site, product_model=product_model,
                       so_line=line, ship_date=dt.date(2025, 3, 1))
    contract = ServiceContractFactory(customer=customer, number=f"SC-{tag}-001")
    contract.units.add(unit)
    attachment = attachment_add(subject=unit, upload=SimpleUploadedFile(f"{tag}.txt", b"nameplate photo"),
                                user=uploader)
    return Side(customer, site, contact, order, line, unit, contract, attachment)


def build_world(cast: Any) -> World:
    product_model = ProductModelFactory(code="RF-800", name="回流焊炉 RF-800", warranty_months=12)
    skill = SkillFactory(code="SMT", name="SMT 设备")
    engineers = {}
    for key, branch in (("east", cast.east_staff.branch), ("south", cast.south_staff.branch),
                        ("hq", cast.desk.branch)):
        user = UserFactory(username=f"eng_{key}", branch=branch, roles=["field_engineer"])
        engineers[key] = EngineerProfileFactory(user=user, home_city=key)
        EngineerSkillFactory(engineer=engineers[key], skill=skill, level=3)
    return World(
        cast=cast,
        product_model=product_model,
        a=_side(cast.customer_a, product_model, cast.desk, "A"),
        b=_side(cast.customer_b, product_model, cast.desk, "B"),
        skill=skill,
        department=DepartmentFactory(code="SVC", name="售后服务部"),
        engineer_east=engineers["east"],
        engineer_south=engineers["south"],
        engineer_hq=engineers["hq"],
    )


def client_for(user: Any | None) -> APIClient:
    """An API client signed in (by session) as ``user``, or anonymous for None."""
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}

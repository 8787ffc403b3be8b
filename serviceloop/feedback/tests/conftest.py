from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """These tests read messages in English (the UI default is Chinese)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@dataclass
class Office:
    """Who takes part in a complaint: the departments QA and TSC with one member each, the GM office,
    a member of a department the complaint is not sent to."""

    qa: Any
    tsc: Any
    wh: Any
    quality: Any
    tech: Any
    warehouse: Any
    gm: Any


@pytest.fixture
def office(cast, hq):
    from serviceloop.accounts.tests.factories import DepartmentFactory, UserFactory

    qa = DepartmentFactory(code="QA", name="品质部")
    tsc = DepartmentFactory(code="TSC", name="技术支持中心")
    wh = DepartmentFactory(code="WH", name="仓管部")
    return Office(
        qa=qa, tsc=tsc, wh=wh,
        quality=UserFactory(username="quality", branch=hq, department=qa, roles=["quality"]),
        tech=UserFactory(username="tech", branch=hq, department=tsc, roles=["tech_support"]),
        warehouse=UserFactory(username="warehouse", branch=hq, department=wh, roles=["warehouse"]),
        gm=UserFactory(username="gm", branch=hq, roles=["gm_office"]),
    )

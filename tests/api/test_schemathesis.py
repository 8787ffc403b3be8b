"""Fuzz the whole /api/v1/ schema in-process (WSGI) with an API token.

Every operation gets a bounded number of generated requests (valid and invalid); none may
answer with a server error, and documented responses must match their schema. Generated ids
are mostly "grounded" onto records that exist, so the fuzzer reaches the services and not
only the 404 of a random id.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from serviceloop.accounts.models import Branch, Department, EngineerProfile, Skill
from serviceloop.accounts.tests.factories import DepartmentFactory, EngineerSkillFactory, SkillFactory
from serviceloop.api_urls import router
from serviceloop.assets.models import ProductModel, SalesOrder, SalesOrderLine, Unit
from serviceloop.assets.tests.factories import (
    ProductModelFactory,
    SalesOrderFactory,
    SalesOrderLineFactory,
    ServiceContractFactory,
    UnitFactory,
)
from serviceloop.core.attachments import attachment_add
from serviceloop.core.models import WorkCalendar
from serviceloop.customers.models import Customer, Site
from serviceloop.customers.tests.factories import ContactFactory, SiteFactory
from serviceloop.service import services
from serviceloop.service.models import ServiceRequest
from serviceloop.workorders.models import WorkOrder
from serviceloop.workorders.tests.factories import fuzz_records

CHECKS = [not_a_server_error, response_schema_conformance]
EXAMPLES_PER_OPERATION = 25

# Loaded once at collection from the app's own /api/schema/ endpoint (no database needed).
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
OPERATIONS = {operation.label: operation for operation in (result.ok() for result in schema.get_all_operations())}
RESOURCE_MODELS = {prefix: getattr(viewset, "model", None) or viewset.queryset.model
                   for prefix, viewset, _basename in router.registry}
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
REFERENCE_FIELDS = {"customer": Customer, "site": Site, "branch": Branch, "product_model": ProductModel,
                    "so_line": SalesOrderLine, "unit": Unit, "units": Unit, "skill": Skill,
                    "service_request": ServiceRequest, "sales_order": SalesOrder, "from_department": Department,
                    "handed_over_from": Department, "calendar": WorkCalendar,
                    "work_order": WorkOrder, "lead": EngineerProfile, "helpers": EngineerProfile,
                    "hq_engineer": EngineerProfile, "engineer": EngineerProfile}


def _existing(model, raw: Any) -> Any:
    """Most generated ids become an existing id; one in five stays as generated."""
    seed = zlib.crc32(str(raw).encode())
    if seed % 5 == 0:
        return raw
    ids = sorted(model._default_manager.values_list("pk", flat=True))
    return ids[seed % len(ids)] if ids else raw


def _plausible_date(value: str) -> str:
    """Most generated dates are moved into 1990-2089 (the API refuses years outside 1900-2199)."""
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        return value
    if zlib.crc32(value.encode()) % 5 == 0:
        return value
    return parsed.replace(year=1990 + parsed.year % 100, day=min(parsed.day, 28)).isoformat()


def _ground_mapping(values: dict[str, Any]) -> None:
    for name, value in values.items():
        if isinstance(value, str) and DATE.fullmatch(value):
            values[name] = _plausible_date(value)
    for name, model in REFERENCE_FIELDS.items():
        value = values.get(name)
        if isinstance(value, list):
            values[name] = [_existing(model, v) for v in value]
        elif isinstance(value, int | str) and not isinstance(value, bool) and str(value).isdigit():
            values[name] = _existing(model, int(value))
    lines = values.get("lines")
    for line in lines if isinstance(lines, list) else []:
        if isinstance(line, dict):
            _ground_mapping(line)
    if "content_type" in values and "object_id" in values:
        raw = values["object_id"]
        if _existing(Unit, raw) != raw:
            values["content_type"], values["object_id"] = "assets.unit", _existing(Unit, raw)


def ground(case) -> None:
    resource = case.path.removeprefix("/api/v1/").split("/")[0]
    model = RESOURCE_MODELS.get(resource)
    if model is not None and case.path_parameters and "id" in case.path_parameters:
        case.path_parameters["id"] = _existing(model, case.path_parameters["id"])
    if isinstance(case.query, dict):
        _ground_mapping(case.query)
    if isinstance(case.body, dict):
        _ground_mapping(case.body)


@pytest.fixture
def _keep_test_connection():
    """The fuzzer calls Django's real WSGI handler, which closes the database connection at the end
    of each request (and with it the test's transaction); Django's own test client avoids that the
    same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_data(cast, settings, _keep_test_connection):
    """A few records of every kind, for customers in two branches."""
    # the token endpoint's rate limit counts in the cache; the test database has no cache table
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "schemathesis"}}
    cache.clear()
    model = ProductModelFactory(code="RF-800")
    for customer in (cast.customer_a, cast.customer_b):
        site = SiteFactory(customer=customer)
        ContactFactory(customer=customer, site=site)
        order = SalesOrderFactory(customer=customer)
        line = SalesOrderLineFactory(order=order, product_model=model, quantity=1)
        unit = UnitFactory(customer=customer, site=site, product_model=model, so_line=line,
                           ship_date=dt.date(2025, 3, 1))
        contract = ServiceContractFactory(customer=customer)
        contract.units.add(unit)
        attachment_add(subject=unit, upload=SimpleUploadedFile("note.txt", b"nameplate"), user=cast.desk)
        # service requests at several steps, so the moves meet both legal and illegal states
        for _step in range(3):
            request = services.request_create(actor=cast.desk, channel="phone", request_type="fault_repair",
                                              customer=customer, unit=unit, title="炉温异常").service_request
        services.request_start_review(actor=cast.desk, service_request=request)
        fuzz_records(cast=cast, customer=customer, unit=unit)  # work orders, reports, help requests, fees
    EngineerSkillFactory(skill=SkillFactory(code="SMT"), level=4)
    DepartmentFactory(code="SVC")
    return cast


def fuzz(label: str, user) -> None:
    """Valid and invalid requests for one operation; deterministic, bounded, no shrinking.

    (One pytest test per operation with plain parametrize: schemathesis' own pytest items share one
    node id under pytest 9, so pytest-xdist would run only one of them.)
    """
    operation = OPERATIONS[label]
    token = Token.objects.get_or_create(user=user)[0].key
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                         phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(case=cases)
    def run(case):
        ground(case)
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)

    run()


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning")
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_server_errors_as_service_desk(label, fuzz_data):
    fuzz(label, fuzz_data.desk)


# The service manager may also change product models and SLA policies, and delete records.
@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(label for label in OPERATIONS
                                         if label.startswith("DELETE ") or "/product-models/" in label
                                         or "/sla-policies/" in label))
def test_no_server_errors_as_service_manager(label, fuzz_data):
    fuzz(label, fuzz_data.manager)

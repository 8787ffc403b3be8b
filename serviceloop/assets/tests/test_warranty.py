import datetime as dt

import pytest

from serviceloop.assets.choices import WarrantyBasis, WarrantyState
from serviceloop.assets.warranty import add_months, refresh_warranty, warranty_period, warranty_state

from .factories import ProductModelFactory, ServiceContractFactory, UnitFactory

pytestmark = pytest.mark.django_db

D = dt.date


def make_unit(*, ship=None, install=None, accept=None, months=12, **kwargs):
    model = ProductModelFactory(warranty_months=months)
    return UnitFactory(product_model=model, ship_date=ship, install_date=install, acceptance_date=accept, **kwargs)


def test_add_months_clamps_to_month_end():
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2025, 11, 15), 3) == D(2026, 2, 15)
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)


def test_basis_follows_default_order_acceptance_first():
    unit = make_unit(ship=D(2025, 1, 1), install=D(2025, 2, 1), accept=D(2025, 3, 1))
    assert warranty_period(unit) == (WarrantyBasis.ACCEPTANCE, D(2025, 3, 1), D(2026, 2, 28))


def test_basis_falls_back_to_install_then_ship():
    unit = make_unit(ship=D(2025, 1, 1), install=D(2025, 2, 10))
    assert warranty_period(unit)[:2] == (WarrantyBasis.INSTALL, D(2025, 2, 10))
    unit = make_unit(ship=D(2025, 1, 1))
    assert warranty_period(unit) == (WarrantyBasis.SHIP, D(2025, 1, 1), D(2025, 12, 31))


def test_basis_order_can_be_overridden_in_settings(settings):
    settings.WARRANTY_START_ORDER = ["ship", "acceptance"]
    unit = make_unit(ship=D(2025, 1, 1), install=D(2025, 2, 1), accept=D(2025, 3, 1))
    assert warranty_period(unit)[:2] == (WarrantyBasis.SHIP, D(2025, 1, 1))
    # an unknown basis name in the setting is skipped, a missing date falls through to the next
    settings.WARRANTY_START_ORDER = ["bogus", "install", "ship"]
    unit = make_unit(ship=D(2025, 1, 1), accept=D(2025, 3, 1))
    assert warranty_period(unit)[:2] == (WarrantyBasis.SHIP, D(2025, 1, 1))


def test_jan_31_plus_one_month_ends_on_the_last_day_of_february():
    # February has no 31st: the period ends on the month's last day (Chinese civil-law reckoning)
    unit = make_unit(ship=D(2025, 1, 31), months=1)
    assert warranty_period(unit)[2] == D(2025, 2, 28)
    assert warranty_state(unit, D(2025, 2, 28)).state == WarrantyState.IN_WARRANTY
    assert warranty_state(unit, D(2025, 3, 1)).state == WarrantyState.CHARGEABLE


@pytest.mark.parametrize("start, months, end", [
    (D(2024, 1, 31), 1, D(2024, 2, 29)),   # leap year
    (D(2025, 1, 29), 1, D(2025, 2, 28)),   # no Feb 29 in 2025
    (D(2025, 1, 28), 1, D(2025, 2, 27)),   # Feb 28 exists: the day before it
    (D(2025, 3, 31), 1, D(2025, 4, 30)),
    (D(2024, 2, 29), 12, D(2025, 2, 28)),
    (D(2025, 1, 15), 12, D(2026, 1, 14)),
])
def test_warranty_end_month_arithmetic(start, months, end):
    unit = make_unit(ship=start, months=months)
    assert warranty_period(unit)[2] == end


def test_exactly_at_warranty_start_and_end():
    unit = make_unit(ship=D(2025, 1, 15))
    assert warranty_state(unit, D(2025, 1, 15)).state == WarrantyState.IN_WARRANTY
    at_end = warranty_state(unit, D(2026, 1, 14))
    assert at_end.state == WarrantyState.IN_WARRANTY
    assert at_end.warranty_end == D(2026, 1, 14)
    assert "2026-01-14" in at_end.reason
    after = warranty_state(unit, D(2026, 1, 15))
    assert after.state == WarrantyState.CHARGEABLE
    assert "2026-01-14" in after.reason
    assert "2026-01-15" in after.reason


def test_in_warranty_reason_names_the_basis_and_months():
    unit = make_unit(ship=D(2025, 1, 1), accept=D(2025, 3, 1), months=18)
    verdict = warranty_state(unit, D(2025, 6, 1))
    assert verdict.state == WarrantyState.IN_WARRANTY
    assert verdict.css == "success"
    assert "18" in verdict.reason
    assert str(WarrantyBasis.ACCEPTANCE.label) in verdict.reason
    assert "2025-03-01" in verdict.reason


def test_contract_applies_after_warranty():
    unit = make_unit(ship=D(2023, 1, 1))
    contract = ServiceContractFactory(customer=unit.customer, number="SC-1", start_date=D(2024, 1, 1),
                                      end_date=D(2024, 12, 31), covers_preventive=True)
    contract.units.add(unit)
    verdict = warranty_state(unit, D(2024, 6, 1))
    assert verdict.state == WarrantyState.CONTRACT
    assert verdict.contract == contract
    assert verdict.css == "info"
    assert "SC-1" in verdict.reason


def test_warranty_takes_precedence_over_contract_which_is_mentioned():
    unit = make_unit(ship=D(2024, 1, 1))
    contract = ServiceContractFactory(customer=unit.customer, number="SC-2", start_date=D(2024, 1, 1),
                                      end_date=D(2026, 12, 31))
    contract.units.add(unit)
    verdict = warranty_state(unit, D(2024, 6, 1))
    assert verdict.state == WarrantyState.IN_WARRANTY
    assert verdict.contract == contract
    assert "SC-2" in verdict.reason


def test_latest_ending_contract_wins():
    unit = make_unit(ship=D(2020, 1, 1))
    short = ServiceContractFactory(customer=unit.customer, number="SC-S", start_date=D(2024, 1, 1),
                                   end_date=D(2024, 6, 30))
    long = ServiceContractFactory(customer=unit.customer, number="SC-L", start_date=D(2024, 1, 1),
                                  end_date=D(2025, 12, 31))
    unit.contracts.add(short, long)
    verdict = warranty_state(unit, D(2024, 3, 1))
    assert verdict.contract == long
    assert {c.number for c in verdict.contracts} == {"SC-S", "SC-L"}


def test_expired_or_future_contract_does_not_cover():
    unit = make_unit(ship=D(2020, 1, 1))
    expired = ServiceContractFactory(customer=unit.customer, start_date=D(2022, 1, 1), end_date=D(2023, 12, 31))
    future = ServiceContractFactory(customer=unit.customer, start_date=D(2025, 1, 1), end_date=D(2025, 12, 31))
    unit.contracts.add(expired, future)
    verdict = warranty_state(unit, D(2024, 6, 1))
    assert verdict.state == WarrantyState.CHARGEABLE
    assert verdict.contract is None
    assert "2020-12-31" in verdict.reason
    # the contract's last day still counts
    assert warranty_state(unit, D(2023, 12, 31)).state == WarrantyState.CONTRACT


def test_no_dates_means_chargeable_with_explanation():
    unit = make_unit()
    verdict = warranty_state(unit, D(2025, 6, 1))
    assert verdict.state == WarrantyState.CHARGEABLE
    assert verdict.css == "warning"
    assert verdict.warranty_end is None
    assert warranty_period(unit) == (WarrantyBasis.NONE, None, None)
    assert verdict.reason


def test_future_start_is_not_yet_in_warranty():
    unit = make_unit(install=D(2026, 3, 1))
    verdict = warranty_state(unit, D(2026, 2, 1))
    assert verdict.state == WarrantyState.CHARGEABLE
    assert "2026-03-01" in verdict.reason


def test_model_without_warranty_months():
    unit = make_unit(ship=D(2025, 1, 1), months=0)
    verdict = warranty_state(unit, D(2025, 2, 1))
    assert verdict.state == WarrantyState.CHARGEABLE
    assert verdict.warranty_end is None


def test_refresh_warranty_stores_the_period():
    unit = make_unit(ship=D(2025, 1, 1), accept=D(2025, 2, 1))
    unit.acceptance_date = None
    refresh_warranty(unit)
    assert (unit.warranty_basis, unit.warranty_start, unit.warranty_end) == ("ship", D(2025, 1, 1), D(2025, 12, 31))

"""Reads that depend on who asks: scoping, the engineer's jobs, the dispatch board, the ranking."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from serviceloop.assets.tests.factories import ProductModelFactory, UnitFactory
from serviceloop.customers.tests.factories import SiteFactory
from serviceloop.workorders import selectors, services
from serviceloop.workorders.models import WorkOrder

from .factories import completed, dispatched, engineer, new_work_order, on_site, today

pytestmark = pytest.mark.django_db


def test_visibility_follows_customer_and_branch(crew):
    unit_a = UnitFactory(customer=crew.customer_a)
    unit_b = UnitFactory(customer=crew.customer_b)
    wo_a = new_work_order(actor=crew.dispatcher, customer=crew.customer_a, unit=unit_a)
    wo_b = new_work_order(actor=crew.dispatcher, customer=crew.customer_b, unit=unit_b)
    sees = {
        "owner": {wo_a}, "colleague": {wo_a}, "outsider": {wo_b}, "east_staff": {wo_a}, "south_staff": {wo_b},
        "desk": {wo_a, wo_b}, "manager": {wo_a, wo_b}, "nobody": set(),
    }
    for name, expected in sees.items():
        user = getattr(crew, name)
        assert set(selectors.work_orders_visible_to(user)) == expected, name
    assert set(selectors.work_orders_visible_to(crew.east_eng)) == {wo_a}  # a branch engineer: own branch
    assert set(selectors.work_orders_visible_to(crew.hq_eng)) == {wo_a, wo_b}
    assert list(selectors.work_orders_of_unit(crew.owner, unit_a)) == [wo_a]
    assert list(selectors.work_orders_of_unit(crew.outsider, unit_a)) == []
    assert list(selectors.work_orders_of_request(crew.owner, wo_a.service_request)) == [wo_a]
    assert list(selectors.work_orders_of_request(crew.outsider, wo_a.service_request)) == []


def test_service_reports_of_unit(crew):
    unit = UnitFactory(customer=crew.customer_a)
    wo = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                   unit=unit)
    report = services.service_report_prepare(actor=crew.east_eng, work_order=wo)
    assert list(selectors.service_reports_of_unit(crew.owner, unit)) == [report]
    assert list(selectors.service_reports_of_unit(crew.outsider, unit)) == []
    assert list(selectors.service_reports_of_unit(crew.south_staff, unit)) == []
    assert selectors.service_report_of(crew.east_staff, wo) == report


def test_my_jobs_today_puts_today_first(crew):
    later = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                       planned_date=today() + dt.timedelta(days=3))
    now = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                     planned_date=today())
    there = on_site(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng,
                    planned_date=today() + dt.timedelta(days=5))
    helping = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_helper,
                         helpers=[crew.east_eng], planned_date=today() + dt.timedelta(days=1))
    pending = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    services.work_order_assign(actor=crew.dispatcher, work_order=pending, lead=crew.east_eng)  # not approved yet
    assert list(selectors.my_jobs_today(crew.east_eng)) == [there, now, helping, later]
    assert list(selectors.my_jobs_today(crew.east_helper)) == [helping]
    assert list(selectors.my_jobs_today(crew.hq_eng)) == []


def test_unassigned_work_orders_for_the_dispatch_board(crew):
    draft = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    declined = dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    services.work_order_decline(actor=crew.east_eng, work_order=declined, reason="病假")
    dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    south = new_work_order(actor=crew.dispatcher, customer=crew.customer_b)
    assert list(selectors.unassigned_work_orders(crew.dispatcher)) == [declined, draft, south]
    assert list(selectors.unassigned_work_orders(crew.east_staff)) == [declined, draft]
    pending = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    services.work_order_assign(actor=crew.dispatcher, work_order=pending, lead=crew.east_eng)
    assert list(selectors.work_orders_awaiting_approval(crew.manager)) == [pending]


def test_haversine():
    # Shanghai People's Square -> Suzhou: about 84 km
    assert 80 < selectors.haversine_km(31.2304, 121.4737, 31.2989, 120.5853) < 90
    assert selectors.haversine_km(10, 10, 10, 10) == 0


def test_rank_engineers_by_skill_branch_distance_and_load(crew):
    model = ProductModelFactory(code="RF-800")
    site = SiteFactory(customer=crew.customer_a, city="上海", latitude=Decimal("31.2304"), longitude=Decimal("121.4737"))
    unit = UnitFactory(customer=crew.customer_a, product_model=model, site=site)
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a, unit=unit, required_skill=crew.skill)
    # east_eng: SMT 4, same branch, in Shanghai (0 km); east_helper: SMT 2, same branch, Suzhou (84 km);
    # hq_eng: SMT 5, headquarters, Suzhou; south_eng cannot serve an east customer
    ranks = selectors.rank_engineers(crew.dispatcher, wo)
    by_name = {r.user.username: r for r in ranks}
    assert set(by_name) == {"east_eng", "east_helper", "hq_eng"}
    assert [r.user.username for r in ranks] == ["east_eng", "hq_eng", "east_helper"]
    top = by_name["east_eng"]
    assert (top.skill_level, top.skill_points, top.same_branch, top.branch_points) == (4, 40, True, 15)
    assert top.distance_km is not None and top.distance_km < 1 and top.distance_points == 20
    assert top.open_jobs == 0 and top.load_points == 0
    assert top.total == 40 + 15 + 20
    assert any("same branch" in reason for reason in top.reasons)
    hq = by_name["hq_eng"]
    assert (hq.skill_level, hq.headquarters, hq.branch_points) == (5, True, 5)
    assert 80 < hq.distance_km < 90

    # load: two open jobs for east_eng bring them below hq_eng
    for _ in range(2):
        dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    ranks = selectors.rank_engineers(crew.dispatcher, wo)
    assert [r.user.username for r in ranks][:2] == ["hq_eng", "east_eng"]
    assert {r.user.username: r.open_jobs for r in ranks}["east_eng"] == 2


def test_rank_counts_experience_and_falls_back_to_the_city(crew):
    model = ProductModelFactory(code="SMT-9")
    site = SiteFactory(customer=crew.customer_a, city="苏州")  # no coordinates
    unit = UnitFactory(customer=crew.customer_a, product_model=model, site=site)
    done = completed(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_helper,
                     unit=UnitFactory(customer=crew.customer_a, product_model=model))
    assert done.status == "completed"
    wo = services.work_order_create(actor=crew.dispatcher, service_request=_confirmed(crew, unit))
    ranks = {r.user.username: r for r in selectors.rank_engineers(crew.dispatcher, wo)}
    helper = ranks["east_helper"]
    assert helper.experience_jobs == 1 and helper.experience_points == 4
    assert helper.same_city and helper.distance_km is None and helper.distance_points == 15
    assert not ranks["east_eng"].same_city and ranks["east_eng"].distance_points == 0
    assert ranks["east_eng"].skill_points == 0  # no required skill: skill does not count


def _confirmed(crew, unit):
    from .factories import confirmed_request

    return confirmed_request(actor=crew.desk, customer=crew.customer_a, unit=unit)


def test_rank_only_what_the_user_sees(crew):
    wo = new_work_order(actor=crew.dispatcher, customer=crew.customer_a)
    engineer(branch=crew.east, username="east_off", active=False)
    names = {r.user.username for r in selectors.rank_engineers(crew.east_staff, wo)}
    assert names == {"east_eng", "east_helper"}  # branch staff see their branch's engineers only


def test_rank_runs_in_a_fixed_number_of_queries(crew):
    for n in range(6):
        engineer(branch=crew.east, username=f"extra{n}")
    wo = WorkOrder.objects.select_related("unit", "site", "customer", "required_skill").get(
        pk=new_work_order(actor=crew.dispatcher, customer=crew.customer_a, unit=UnitFactory(customer=crew.customer_a),
                          required_skill=crew.skill).pk)
    with CaptureQueriesContext(connection) as ctx:
        ranks = selectors.rank_engineers(crew.dispatcher, wo)
    assert len(ranks) == 9
    assert len(ctx.captured_queries) <= 6


def test_my_jobs_and_board_have_no_n_plus_one(crew):
    for _ in range(3):
        dispatched(office=crew.dispatcher, manager=crew.manager, customer=crew.customer_a, lead=crew.east_eng)
    with CaptureQueriesContext(connection) as ctx:
        rows = [(wo.number, wo.customer.name, wo.service_request.number, wo.branch.name)
                for wo in selectors.my_jobs_today(crew.east_eng)]
    assert len(rows) == 3
    # the work orders, and once per user object outside a request: the roles, the permissions (2)
    assert len(ctx.captured_queries) <= 4

"""Reads of work orders that depend on who asks. Every queryset starts at the access gate
(``Model.objects.restrict(user, action)``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, F, IntegerField, QuerySet, Sum, Value, When
from django.utils import timezone

from serviceloop.accounts.models import EngineerProfile, EngineerSkill

from .choices import ENGINEER_STATUSES, LOAD_STATUSES, NEEDS_DISPATCH, AssignmentRole, HelpRequestStatus
from .choices import WorkOrderStatus as S
from .models import (
    FeeLine,
    HelpRequest,
    LabourEntry,
    ProgressNote,
    ServiceReport,
    TestRecord,
    Visit,
    WorkOrder,
    WorkOrderAssignment,
    WorkReport,
)

WO_RELATED = ("service_request", "customer", "site", "unit", "unit__product_model", "branch", "required_skill")


def work_orders_visible_to(user: Any, action: str = "view") -> QuerySet[WorkOrder]:
    return WorkOrder.objects.restrict(user, action).select_related(*WO_RELATED)


def work_orders_of_request(user: Any, request: Any) -> QuerySet[WorkOrder]:
    return work_orders_visible_to(user).filter(service_request=request).order_by("created_at", "id")


def work_orders_of_unit(user: Any, unit: Any) -> QuerySet[WorkOrder]:
    """The unit's service file (服务档案): its work orders, newest first."""
    return work_orders_visible_to(user).filter(unit=unit).order_by("-created_at", "-id")


def service_reports_visible_to(user: Any) -> QuerySet[ServiceReport]:
    return ServiceReport.objects.restrict(user, "view").select_related(
        "work_order", "work_order__customer", "work_order__unit", "work_order__service_request"
    )


def service_reports_of_unit(user: Any, unit: Any) -> QuerySet[ServiceReport]:
    return service_reports_visible_to(user).filter(work_order__unit=unit).order_by("-created_at", "-id")


def my_jobs_today(user: Any) -> QuerySet[WorkOrder]:
    """The engineer's work orders (dispatched to them and not closed): on site and today's first, then by
    planned date (overdue before later ones, undated last)."""
    if not getattr(user, "is_authenticated", False):
        return WorkOrder.objects.none()
    today = timezone.localdate()
    mine = WorkOrderAssignment.objects.filter(engineer=user, released_at__isnull=True).values("work_order_id")
    return (
        work_orders_visible_to(user)
        .filter(pk__in=mine, status__in=ENGINEER_STATUSES)
        .annotate(today_rank=Case(
            When(status=S.ON_SITE, then=Value(0)),
            When(planned_date=today, then=Value(1)),
            When(planned_date__lt=today, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        ))
        .order_by("today_rank", F("planned_date").asc(nulls_last=True), "number")
    )


def unassigned_work_orders(user: Any) -> QuerySet[WorkOrder]:
    """The dispatch board: drafts and declined work orders waiting for engineers, declined and oldest first."""
    return (
        work_orders_visible_to(user)
        .filter(status__in=NEEDS_DISPATCH)
        .annotate(declined_first=Case(When(status=S.DECLINED, then=Value(0)), default=Value(1),
                                      output_field=IntegerField()))
        .order_by("declined_first", F("planned_date").asc(nulls_last=True), "created_at", "id")
    )


def requests_waiting_for_work_order(user: Any) -> QuerySet[Any]:
    """The dispatch board's intake: requests whose on-site plan the customer confirmed and that have no
    work order yet (creating one starts the work), oldest confirmation first; only those the user may see."""
    from serviceloop.service.choices import RequestStatus, ServicePlan
    from serviceloop.service.models import ServiceRequest

    return (
        ServiceRequest.objects.restrict(user, "view")
        .filter(status=RequestStatus.PLAN_CONFIRMED, plan=ServicePlan.ONSITE, work_orders__isnull=True)
        .select_related("customer", "site", "unit", "unit__product_model")
        .order_by(F("customer_confirmed_at").asc(nulls_last=True), "received_at", "id")
    )


def work_orders_awaiting_approval(user: Any) -> QuerySet[WorkOrder]:
    """The service manager's queue: dispatches to approve, oldest first."""
    return work_orders_visible_to(user).filter(status=S.PENDING_APPROVAL).order_by("dispatched_at", "id")


def team_of(user: Any, work_order: WorkOrder) -> QuerySet[WorkOrderAssignment]:
    """The active team (lead first) of a work order the user may see."""
    return (
        WorkOrderAssignment.objects.restrict(user, "view")
        .filter(work_order=work_order, released_at__isnull=True)
        .select_related("engineer", "engineer__engineer")
        .annotate(lead_first=Case(When(role=AssignmentRole.LEAD, then=Value(0)), default=Value(1),
                                  output_field=IntegerField()))
        .order_by("lead_first", "assigned_at", "id")
    )


def assignments_of(user: Any, work_order: WorkOrder) -> QuerySet[WorkOrderAssignment]:
    """Every assignment, released ones (declined, replaced) included."""
    return (WorkOrderAssignment.objects.restrict(user, "view").filter(work_order=work_order)
            .select_related("engineer", "assigned_by").order_by("assigned_at", "id"))


def visits_of(user: Any, work_order: WorkOrder) -> QuerySet[Visit]:
    return Visit.objects.restrict(user, "view").filter(work_order=work_order).select_related("engineer")


def progress_notes_of(user: Any, work_order: WorkOrder) -> QuerySet[ProgressNote]:
    return ProgressNote.objects.restrict(user, "view").filter(work_order=work_order).select_related("author")


def tests_of(user: Any, work_order: WorkOrder) -> QuerySet[TestRecord]:
    return TestRecord.objects.restrict(user, "view").filter(work_order=work_order).select_related("recorded_by")


def labour_of(user: Any, work_order: WorkOrder) -> QuerySet[LabourEntry]:
    return LabourEntry.objects.restrict(user, "view").filter(work_order=work_order).select_related("engineer")


def labour_hours_total(user: Any, work_order: WorkOrder) -> Decimal:
    return labour_of(user, work_order).aggregate(total=Sum("hours"))["total"] or Decimal("0")


def fee_lines_of(user: Any, work_order: WorkOrder) -> QuerySet[FeeLine]:
    return FeeLine.objects.restrict(user, "view").filter(work_order=work_order).order_by("id")


def fees_billed_by(user: Any, sales_order: Any) -> list[dict[str, Any]]:
    """The sales order page's fees: each work order it bills (that the user sees) with its fee lines and total."""
    orders = list(work_orders_visible_to(user).filter(billing_sales_order=sales_order).order_by("number"))
    lines = FeeLine.objects.restrict(user, "view").filter(work_order__in=orders).order_by("work_order", "kind", "id")
    by_order: dict[int, list[FeeLine]] = {}
    for line in lines:
        by_order.setdefault(line.work_order_id, []).append(line)
    return [{"work_order": wo, "lines": by_order.get(wo.pk, []),
             "total": sum((line.amount for line in by_order.get(wo.pk, [])), start=Decimal("0"))} for wo in orders]


def service_report_of(user: Any, work_order: WorkOrder) -> ServiceReport | None:
    return service_reports_visible_to(user).filter(work_order=work_order).first()


def work_report_of(user: Any, work_order: WorkOrder) -> WorkReport | None:
    return WorkReport.objects.restrict(user, "view").filter(work_order=work_order).select_related("author").first()


def help_requests_visible_to(user: Any) -> QuerySet[HelpRequest]:
    return HelpRequest.objects.restrict(user, "view").select_related(
        "work_order", "work_order__customer", "work_order__branch", "requested_by", "hq_engineer", "skill",
        "decided_by",
    )


def help_requests_pending(user: Any) -> QuerySet[HelpRequest]:
    """The service manager's queue of help requests from the branches, oldest first."""
    return help_requests_visible_to(user).filter(status=HelpRequestStatus.PENDING).order_by("created_at", "id")


def help_requests_of(user: Any, work_order: WorkOrder) -> QuerySet[HelpRequest]:
    return help_requests_visible_to(user).filter(work_order=work_order).order_by("created_at", "id")


# ---------------------------------------------------------------- dispatch ranking

EARTH_RADIUS_KM = 6371.0
SKILL_POINTS_PER_LEVEL = 10  # required skill level 1..5 -> 10..50
EXPERIENCE_POINTS_PER_JOB = 4  # finished jobs on this product model, at most 5 count
EXPERIENCE_CAP = 5
SAME_BRANCH_POINTS = 15
HQ_POINTS = 5
DISTANCE_POINTS_MAX = 20  # 0 km -> 20, 500 km and more -> 0
DISTANCE_ZERO_KM = 500.0
SAME_CITY_POINTS = 15  # when coordinates are missing
LOAD_POINTS_PER_JOB = -5  # per open job, at most 5 count
LOAD_CAP = 5


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass
class EngineerRank:
    """One engineer's score for one work order, with its parts so the dispatch board can show why."""

    engineer: EngineerProfile
    skill_level: int | None  # level of the required skill; None when the engineer lacks it
    skill_points: int
    experience_jobs: int  # finished jobs on units of the same product model
    experience_points: int
    same_branch: bool
    headquarters: bool
    branch_points: int
    distance_km: float | None  # from the home base to the site, when both positions are known
    same_city: bool
    distance_points: int
    open_jobs: int  # current load: work orders assigned and not finished
    load_points: int
    reasons: list[str] = field(default_factory=list)

    @property
    def user(self) -> Any:
        return self.engineer.user

    @property
    def total(self) -> int:
        return (self.skill_points + self.experience_points + self.branch_points + self.distance_points
                + self.load_points)


def _site_position(work_order: WorkOrder) -> tuple[float | None, float | None, str]:
    site = work_order.site
    if site is None:
        return None, None, work_order.customer.address if work_order.customer_id else ""
    lat = float(site.latitude) if site.latitude is not None else None
    lng = float(site.longitude) if site.longitude is not None else None
    return lat, lng, site.city or ""


def rank_engineers(user: Any, work_order: WorkOrder, *, limit: int | None = None) -> list[EngineerRank]:
    """Engineers for dispatching ``work_order``, best first: skill match (the required skill's level, and
    finished jobs on the same product model), same branch, distance from the home base (haversine when the
    site's position is known, else same city), and current load. Only engineers available for dispatch,
    visible to ``user``, who may serve this customer's branch (own branch or headquarters). Five queries."""
    from django.utils.translation import gettext as _

    from .services import engineer_may_serve

    profiles = [
        p for p in EngineerProfile.objects.restrict(user, "view")
        .filter(active=True, user__is_active=True, user__customer__isnull=True)
        .select_related("user", "user__branch")
        if engineer_may_serve(p.user, work_order)
    ]
    if not profiles:
        return []
    user_ids = [p.user_id for p in profiles]
    levels: dict[int, int] = {}
    if work_order.required_skill_id:
        levels = dict(
            EngineerSkill.objects.filter(engineer__in=profiles, skill_id=work_order.required_skill_id)
            .values_list("engineer_id", "level")
        )
    experience: dict[int, int] = {}
    if work_order.unit_id:
        model_id = work_order.unit.product_model_id
        experience = dict(
            WorkOrderAssignment.objects.filter(
                engineer_id__in=user_ids, declined_at__isnull=True, work_order__unit__product_model_id=model_id,
                work_order__status__in=(S.COMPLETED, S.CLOSED),
            ).exclude(work_order=work_order)
            .values("engineer_id").annotate(n=Count("work_order_id", distinct=True)).values_list("engineer_id", "n")
        )
    load = dict(
        WorkOrderAssignment.objects.filter(
            engineer_id__in=user_ids, released_at__isnull=True, work_order__status__in=LOAD_STATUSES
        ).exclude(work_order=work_order)
        .values("engineer_id").annotate(n=Count("work_order_id", distinct=True)).values_list("engineer_id", "n")
    )
    site_lat, site_lng, site_city = _site_position(work_order)
    ranks = []
    for profile in profiles:
        reasons: list[str] = []
        level = levels.get(profile.pk) if work_order.required_skill_id else None
        skill_points = (level or 0) * SKILL_POINTS_PER_LEVEL
        if work_order.required_skill_id:
            reasons.append(_("%(skill)s level %(level)s") % {"skill": work_order.required_skill, "level": level}
                           if level else _("lacks %(skill)s") % {"skill": work_order.required_skill})
        jobs = experience.get(profile.user_id, 0)
        if jobs:
            reasons.append(_("%(n)s finished jobs on this model") % {"n": jobs})
        branch = profile.user.branch
        same_branch = branch is not None and branch.pk == work_order.branch_id
        headquarters = branch is None or branch.is_headquarters
        branch_points = SAME_BRANCH_POINTS if same_branch else (HQ_POINTS if headquarters else 0)
        reasons.append(_("same branch") if same_branch else _("headquarters") if headquarters else "")
        distance = None
        same_city = False
        if site_lat is not None and site_lng is not None and profile.home_latitude is not None \
                and profile.home_longitude is not None:
            distance = haversine_km(float(profile.home_latitude), float(profile.home_longitude), site_lat, site_lng)
            distance_points = round(DISTANCE_POINTS_MAX * max(0.0, 1 - distance / DISTANCE_ZERO_KM))
            reasons.append(_("%(km)s km away") % {"km": round(distance)})
        else:
            home = (profile.home_city or "").strip()
            same_city = bool(home) and bool(site_city) and (home == site_city.strip() or home in site_city)
            distance_points = SAME_CITY_POINTS if same_city else 0
            if same_city:
                reasons.append(_("same city"))
        open_jobs = load.get(profile.user_id, 0)
        load_points = LOAD_POINTS_PER_JOB * min(open_jobs, LOAD_CAP)
        reasons.append(_("%(n)s open jobs") % {"n": open_jobs})
        ranks.append(EngineerRank(
            engineer=profile, skill_level=level, skill_points=skill_points, experience_jobs=jobs,
            experience_points=EXPERIENCE_POINTS_PER_JOB * min(jobs, EXPERIENCE_CAP), same_branch=same_branch,
            headquarters=headquarters, branch_points=branch_points, distance_km=distance, same_city=same_city,
            distance_points=distance_points, open_jobs=open_jobs, load_points=load_points,
            reasons=[r for r in reasons if r],
        ))
    far = float("inf")
    ranks.sort(key=lambda r: (-r.total, r.open_jobs, r.distance_km if r.distance_km is not None else far,
                              str(r.engineer.user), r.engineer.pk))
    return ranks[:limit] if limit else ranks


def open_job_counts(user_ids: list[int]) -> dict[int, int]:
    """Open work orders per engineer (user id), for board columns."""
    return dict(
        WorkOrderAssignment.objects.filter(engineer_id__in=user_ids, released_at__isnull=True,
                                           work_order__status__in=LOAD_STATUSES)
        .values("engineer_id").annotate(n=Count("work_order_id", distinct=True)).values_list("engineer_id", "n")
    )


"""Reads of service requests that depend on who asks. Every queryset starts at the access gate."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from django.db.models import F, QuerySet

from serviceloop.core.lookups import constant_in

from .choices import OPEN_STATUSES
from .models import Escalation, Review, ServiceRequest, SlaEvent


def requests_visible_to(user: Any, action: str = "view") -> QuerySet[ServiceRequest]:
    return ServiceRequest.objects.restrict(user, action).select_related(
        "customer", "site", "unit", "unit__product_model", "sales_order", "sla_policy"
    )


def request_queue(user: Any) -> QuerySet[ServiceRequest]:
    """Open requests, the nearest deadline first (requests without a running deadline last)."""
    return requests_visible_to(user).filter(constant_in("status", OPEN_STATUSES)).order_by(
        F("sla_due_at").asc(nulls_last=True), "received_at", "pk"
    )


def open_requests_for_unit(user: Any, unit: Any) -> QuerySet[ServiceRequest]:
    return requests_visible_to(user).filter(unit=unit, status__in=OPEN_STATUSES).order_by("received_at")


def reviews_of(user: Any, service_request: ServiceRequest) -> QuerySet[Review]:
    return Review.objects.restrict(user, "view").filter(service_request=service_request).select_related("reviewer")


def reviews_with_files(user: Any, service_request: ServiceRequest) -> list[Review]:
    """The request's reviews the user may see (a customer: those shown to the customer), each with its
    attachments (the customer's written feedback) as ``files``; two queries."""
    from django.contrib.contenttypes.models import ContentType

    from serviceloop.core.models import Attachment

    reviews = list(reviews_of(user, service_request))
    by_review: dict[int, list[Any]] = {rv.pk: [] for rv in reviews}
    if reviews:
        ct = ContentType.objects.get_for_model(Review)
        for attachment in Attachment.objects.filter(content_type=ct, object_id__in=list(by_review)) \
                .select_related("uploaded_by").order_by("uploaded_at", "id"):
            by_review[attachment.object_id].append(attachment)
    for rv in reviews:
        rv.files = by_review[rv.pk]
    return reviews


def sla_events_of(user: Any, service_request: ServiceRequest) -> QuerySet[SlaEvent]:
    return SlaEvent.objects.restrict(user, "view").filter(service_request=service_request).select_related("actor").order_by("at", "id")


def escalations_visible_to(user: Any) -> QuerySet[Escalation]:
    return Escalation.objects.restrict(user, "view").select_related("service_request", "service_request__customer")


def request_search(qs: QuerySet[ServiceRequest], q: str) -> QuerySet[ServiceRequest]:
    """Request number prefix, unit serial prefix, customer name/code/phone, or contact phone prefix.

    Each part is served by an index (number is unique; the unit and customer parts are id lists
    fetched first, like the unit list's search), so the queue stays fast on a million requests.
    """
    from django.db.models import Q

    from serviceloop.assets.models import Unit
    from serviceloop.assets.selectors import MAX_MATCHING_CUSTOMERS, _customer_ids_matching

    text = q.strip()
    upper = text.upper()
    condition = Q(number__gte=upper, number__lt=upper + "\uffff")
    if any(ch.isdigit() for ch in text) and len(text) >= 4:
        condition |= Q(contact_phone__startswith=text)
    units = Unit.objects.filter(serial_number__gte=upper, serial_number__lt=upper + "\uffff").order_by()
    unit_ids = list(units.values_list("pk", flat=True)[: MAX_MATCHING_CUSTOMERS + 1])
    if len(unit_ids) > MAX_MATCHING_CUSTOMERS:  # a broad prefix: keep every match as a subquery
        condition |= Q(unit_id__in=units.values("pk"))
    elif unit_ids:
        condition |= Q(unit_id__in=unit_ids)
    matching = _customer_ids_matching(text)
    customer_ids = list(matching[: MAX_MATCHING_CUSTOMERS + 1])
    if len(customer_ids) > MAX_MATCHING_CUSTOMERS:
        condition |= Q(customer_id__in=matching)
    elif customer_ids:
        condition |= Q(customer_id__in=customer_ids)
    return qs.filter(condition)


# ---------------------------------------------------------------- phone intake search

INTAKE_SHOWN = 8  # units shown at once while the desk types
INTAKE_PAGE = 50  # units per page of "show all"
INTAKE_COUNT_CAP = 1000  # "more than 1000": the count never walks a million rows


@dataclass
class IntakeMatches:
    """What the desk's search at intake found: units (a page of them), how many match in all (up to
    the cap), and the contacts and customers the text names."""

    text: str
    units: list[Any] = field(default_factory=list)
    unit_total: int = 0
    page: int = 1
    page_size: int = INTAKE_SHOWN
    contacts: list[Any] = field(default_factory=list)
    customers: list[Any] = field(default_factory=list)

    @property
    def more(self) -> bool:
        """More units match than are shown here."""
        return self.unit_total > (self.page - 1) * self.page_size + len(self.units)

    @property
    def total_capped(self) -> bool:
        return self.unit_total > INTAKE_COUNT_CAP

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _looks_like_phone(text: str) -> bool:
    """Four or more digits and nothing but digits, spaces, + and -: the caller reads (the end of) a phone."""
    return len(_digits(text)) >= 4 and all(ch.isdigit() or ch in " +-()" for ch in text)


def intake_contacts(user: Any, text: str, limit: int = INTAKE_SHOWN) -> list[Any]:
    """Contacts whose name contains the text, or whose phone contains the digits read (the last digits
    too); trigram indexes on PostgreSQL (service/migrations/0008)."""
    from django.db.models import Q

    from serviceloop.customers.models import Contact

    condition = Q(name__icontains=text)
    if _looks_like_phone(text):
        condition |= Q(phone__contains=text.strip())
    return list(Contact.objects.restrict(user, "view").filter(condition).select_related("customer", "site")
                .order_by("-is_primary", "name", "pk")[:limit])


def _intake_customer_ids(text: str) -> QuerySet:
    """Ids of customers the text names: name contains, code is, phone contains the digits read, or one of
    their contacts' names or phones contains it (one UNION, each part served by an index on PostgreSQL)."""
    from django.db.models import Q

    from serviceloop.customers.models import Contact, Customer

    by_customer = Q(name__icontains=text) | Q(code__iexact=text)
    by_contact = Q(name__icontains=text)
    if _looks_like_phone(text):
        by_customer |= Q(phone__contains=text.strip())
        by_contact |= Q(phone__contains=text.strip())
    ids = Customer.objects.filter(by_customer).order_by().values_list("pk", flat=True)
    return ids.union(Contact.objects.filter(by_contact).order_by().values_list("customer_id", flat=True))


def intake_search(user: Any, q: str, *, page: int = 1, page_size: int = INTAKE_SHOWN) -> IntakeMatches:
    """The phone intake's search: units whose serial number contains the text (the caller reads the last
    digits from the nameplate) or whose customer the text names (name, code, phone, a contact's name or
    the last digits of a contact's phone); the contacts and customers it names. Only what ``user`` may see."""
    from django.db.models import Q

    from serviceloop.assets.models import Unit
    from serviceloop.assets.selectors import MAX_MATCHING_CUSTOMERS
    from serviceloop.customers.models import Customer

    text = "".join(ch for ch in (q or "") if ch.isprintable()).strip()[:100]
    found = IntakeMatches(text=text, page=max(1, page), page_size=page_size)
    if len(text) < 2:
        return found
    upper = text.upper()
    # substring of the serial from 3 characters (the trigram index's reach); 2 characters: the prefix
    serial = Q(serial_number__contains=upper) if len(text) >= 3 else \
        Q(serial_number__gte=upper, serial_number__lt=upper + "\uffff")
    matching = _intake_customer_ids(text)
    customer_ids = list(matching[: MAX_MATCHING_CUSTOMERS + 1])
    if len(customer_ids) > MAX_MATCHING_CUSTOMERS:
        condition = serial | Q(customer_id__in=matching)
    elif customer_ids:
        condition = serial | Q(customer_id__in=customer_ids)
    else:
        condition = serial
    units = Unit.objects.restrict(user, "view").filter(condition)
    start = (found.page - 1) * page_size
    found.units = list(units.select_related("customer", "product_model", "site").order_by("-id")[start:start + page_size])
    if len(found.units) < page_size and start == 0:
        found.unit_total = len(found.units)
    else:
        found.unit_total = units.order_by()[: INTAKE_COUNT_CAP + 1].count()
    found.contacts = intake_contacts(user, text)
    phone = Q(phone__contains=text) if _looks_like_phone(text) else Q(phone__startswith=text)
    found.customers = list(Customer.objects.restrict(user, "view")
                           .filter(Q(code__istartswith=text) | Q(name__icontains=text) | phone)
                           .order_by("code")[:5])
    return found


# ---------------------------------------------------------------- e-mail intake (API)

# A run of letters, digits and - _ / . that may be a serial number ("SN-A-1", "RF800-2409-0012").
_SERIAL_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]{2,49}")
MAX_SERIAL_CANDIDATES = 200


def serial_candidates(*texts: str) -> list[str]:
    """Words of ``texts`` that could be serial numbers (upper case, as units store them), in order."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in _SERIAL_TOKEN.finditer(text or ""):
            token = match.group().strip("_./-").upper()
            if len(token) >= 3 and any(ch.isdigit() for ch in token):
                seen.setdefault(token, None)
                if len(seen) >= MAX_SERIAL_CANDIDATES:
                    return list(seen)
    return list(seen)


@dataclass
class EmailIntakeMatch:
    """Who wrote the e-mail, about which unit, and for which customer to log it.

    ``customer`` is None when the records do not tell (``error`` says why); ``warnings`` are for
    the desk, not errors.
    """

    address: str
    contacts: list[Any] = field(default_factory=list)  # contacts with the sender's address
    unit: Any = None
    customer: Any = None
    contact: Any = None  # the sender, when a contact of ``customer``
    matched_by: list[str] = field(default_factory=list)  # "contact_email", "serial"
    warnings: list[str] = field(default_factory=list)
    error: str = ""


def email_intake_match(user: Any, *, from_address: str, subject: str = "", body: str = "",
                       serial: str = "") -> EmailIntakeMatch:
    """Find the sender among the contacts (by e-mail address) and the unit by a serial number,
    given or found in the subject or body; the unit's owner wins over the sender's company. Only
    records ``user`` may see are considered."""
    from django.utils.translation import gettext as _

    from serviceloop.assets.models import Unit
    from serviceloop.customers.models import Contact

    address = parseaddr(from_address or "")[1].strip()
    found = EmailIntakeMatch(address=address)
    if "@" in address:
        found.contacts = list(
            Contact.objects.restrict(user, "view").filter(email__iexact=address)
            .select_related("customer", "site").order_by("-is_primary", "pk")[:20]
        )
    units = Unit.objects.restrict(user, "view").select_related("customer", "site", "so_line__order", "product_model")
    wanted = (serial or "").strip().upper()
    if wanted:
        found.unit = units.filter(serial_number=wanted).first()
        if found.unit is None:
            found.warnings.append(_("No unit has the serial number %(serial)s.") % {"serial": wanted})
    others: list[Any] = []
    if found.unit is None:
        candidates = serial_candidates(subject, body)
        if candidates:
            by_serial = {u.serial_number: u for u in units.filter(serial_number__in=candidates)}
            mentioned = [by_serial[s] for s in candidates if s in by_serial]
            own = {c.customer_id for c in found.contacts}
            # the sender's own unit first, then the first one mentioned
            mentioned.sort(key=lambda u: 0 if u.customer_id in own else 1)
            if mentioned:
                found.unit, others = mentioned[0], mentioned[1:]
    customers = {c.customer_id: c.customer for c in found.contacts}
    unit = found.unit
    if unit is not None and unit.customer_id:
        found.customer = unit.customer
        if unit.customer_id in customers:
            found.matched_by.append("contact_email")
        elif customers:
            found.warnings.append(
                _("The sender %(address)s is a contact of another customer; the request is logged for "
                  "%(customer)s, the owner of unit %(serial)s.")
                % {"address": address, "customer": unit.customer.name, "serial": unit.serial_number}
            )
        found.matched_by.append("serial")
    elif len(customers) == 1:
        found.customer = next(iter(customers.values()))
        found.matched_by.append("contact_email")
        if unit is not None:  # unsold stock: no customer's request can name it
            found.warnings.append(_("Unit %(serial)s is not assigned to a customer; it was left out.")
                                  % {"serial": unit.serial_number})
            found.unit = None
    elif customers:
        found.error = _("The address %(address)s belongs to contacts of several customers; give the unit's "
                        "serial number.") % {"address": address}
    else:
        found.error = _("No contact has the e-mail address %(address)s and no serial number of a known unit "
                        "was found in the message; log this request by hand.") % {"address": address or "?"}
    if found.customer is not None:
        found.contact = next((c for c in found.contacts if c.customer_id == found.customer.pk), None)
    for other in others:
        found.warnings.append(_("The message also names unit %(serial)s.") % {"serial": other.serial_number})
    return found


def requests_of_unit(user: Any, unit: Any, limit: int = 50) -> list[ServiceRequest]:
    """The unit's service requests the user may see, newest first (a panel of the unit's service file)."""
    return list(requests_visible_to(user).filter(unit=unit).order_by("-received_at", "-id")[:limit])

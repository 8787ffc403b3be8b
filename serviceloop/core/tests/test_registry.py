"""core.registry: what the apps register in their AppConfig.ready(), and how pages read it."""

from __future__ import annotations

from django.apps import apps

from serviceloop.core import registry


def test_the_apps_fill_the_pages_panels_in_order():
    assert [p.name for p in registry.panels(registry.UNIT_FILE)] == ["service_requests", "work_orders",
                                                                      "service_reports", "unit_parts"]
    assert [p.name for p in registry.panels(registry.CUSTOMER_PAGE)] == ["units", "contracts", "sales_orders"]
    assert [p.name for p in registry.panels(registry.REQUEST_PAGE)] == ["work_orders", "follow_ups",
                                                                         "service_complaints"]
    for slot in (registry.UNIT_FILE, registry.CUSTOMER_PAGE, registry.REQUEST_PAGE):
        assert all(p.template for p in registry.panels(slot))
    assert all(p.print_template for p in registry.panels(registry.UNIT_FILE))


def test_verbs_escalation_hooks_and_imports_are_registered():
    from serviceloop.feedback.handlers import notify_escalations

    for verb in ("attachment_added", "start_review", "assign", "followed_up"):  # core, service, workorders, feedback
        assert verb in registry.verbs()
    assert registry.verb_label("no_such_verb") == "no_such_verb"
    assert registry.escalation_hooks() == [notify_escalations]
    assert list(registry.import_names()) == ["customers", "units", "sales_orders", "parts"]
    assert registry.import_spec("units").name == "units" and registry.import_spec("nothing") is None


def test_registering_again_counts_once():
    before = {slot: registry.panels(slot) for slot in (registry.UNIT_FILE, registry.CUSTOMER_PAGE,
                                                         registry.REQUEST_PAGE)}
    hooks, verbs = registry.escalation_hooks(), registry.verbs()
    for label in ("service", "workorders", "feedback", "assets"):
        apps.get_app_config(label).ready()
    assert {slot: [p.name for p in registry.panels(slot)] for slot in before} == {
        slot: [p.name for p in found] for slot, found in before.items()}
    assert registry.escalation_hooks() == hooks and registry.verbs() == verbs


def test_a_verb_keeps_its_first_label():
    registry.add_verbs({"created": "something else"})
    assert registry.verb_label("created") == str(registry.verbs()["created"]) != "something else"


def test_panel_context_gives_each_panels_rows_and_the_list():
    seen = []
    registry.add_panel("test_slot", "b", lambda user, obj: seen.append("b") or [obj], order=2, template="b.html")
    registry.add_panel("test_slot", "a", lambda user, obj: seen.append("a") or user, order=1, template="a.html")
    context = registry.panel_context("test_slot", "someone", 7)
    assert context["a"] == "someone" and context["b"] == [7]
    assert [p.template for p in context["panels"]] == ["a.html", "b.html"] and seen == ["a", "b"]
    assert registry.panel_context("empty_slot", None, None) == {"panels": []}

"""Content-Security-Policy (issue 9): the header on every page, and templates that run under it.

The browser test (tests/e2e/test_csp_journey.py) loads the pages with the policy on; these tests keep
the templates within it without a browser: no style="" attributes, no inline event handlers, no inline
<script> or <style> without the response's nonce. (Print templates are rendered to PDF, not served.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

ROOT = Path(settings.BASE_DIR) / "serviceloop"
TEMPLATES = sorted(p for p in ROOT.rglob("templates/**/*.html")
                   if "/print/" not in str(p) and p.name != "print_base.html")  # PDFs (WeasyPrint), not pages


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.django_db
def test_pages_carry_a_strict_policy(client, cast):
    client.force_login(cast.desk)
    for url in (reverse("login"), reverse("home"), reverse("service:list")):
        r = client.get(url, follow=True)
        policy = _policy(r)
        assert policy["default-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        for directive in ("script-src", "style-src"):
            assert policy[directive][0] == "'self'"
            assert not [s for s in policy[directive] if "unsafe" in s], policy[directive]


@pytest.mark.django_db
def test_an_inline_script_carries_the_nonce_of_its_response(client, cast):
    client.force_login(cast.desk)
    first = client.get(reverse("service:create"))
    nonce = re.search(r"'nonce-([^']+)'", first["Content-Security-Policy"])[1]
    scripts = re.findall(r"<script([^>]*)>", first.content.decode())
    inline = [attrs for attrs in scripts if "src=" not in attrs]
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    # a new nonce for every response
    second = client.get(reverse("service:create"))
    assert re.search(r"'nonce-([^']+)'", second["Content-Security-Policy"])[1] != nonce


@pytest.mark.django_db
def test_api_answers_carry_the_policy_too(client, cast):
    client.force_login(cast.desk)
    r = client.get("/api/v1/customers/")
    assert "default-src 'self'" in r["Content-Security-Policy"]


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 40
    assert any(p.name == "base.html" for p in TEMPLATES)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_use_nothing_the_policy_blocks(path):
    text = path.read_text(encoding="utf-8")
    problems = []
    if re.search(r"\sstyle\s*=", text):
        problems.append('a style="" attribute (use a class in css/serviceloop.css)')
    if re.search(r"<[a-z][^>]*\son[a-z]+\s*=", text, re.IGNORECASE):
        problems.append("an inline event handler (onclick=...): use a script file or an Alpine component")
    if re.search(r"javascript:", text, re.IGNORECASE):
        problems.append("a javascript: URL")
    if re.search(r"\shx-on[:-]", text):
        problems.append("hx-on (evaluated code): use a script file or an Alpine component")
    for tag in re.findall(r"<script\b([^>]*)>", text):
        if "src=" not in tag and "nonce=" not in tag and "application/json" not in tag:
            problems.append('an inline <script> without nonce="{{ request.csp_nonce }}"')
    for tag in re.findall(r"<style\b([^>]*)>", text):
        if "nonce=" not in tag:
            problems.append('an inline <style> without nonce="{{ request.csp_nonce }}"')
    assert problems == [], path

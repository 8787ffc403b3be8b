"""OpenAPI schema and Swagger UI: served by the app itself, no CDN (factories run on intranets)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

URL_ATTR = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.mark.django_db
def test_schema_lists_every_endpoint(client):
    r = client.get("/api/schema/")
    assert r.status_code == 200
    schema = yaml.safe_load(r.content)
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    for resource in ("branches", "departments", "skills", "engineers", "customers", "sites", "contacts",
                     "product-models", "sales-orders", "units", "contracts", "attachments"):
        assert f"/api/v1/{resource}/" in paths
        assert f"/api/v1/{resource}/{{id}}/" in paths
    assert "/api/v1/units/{id}/warranty/" in paths
    assert "/api/v1/attachments/{id}/download/" in paths
    assert "/api/v1/auth/token/" in paths
    # read-only reference data has no write operations
    assert set(schema["paths"]["/api/v1/branches/"]) == {"get"}
    assert set(schema["paths"]["/api/v1/engineers/{id}/"]) == {"get"}
    # record ids are integers; lists are paginated without a count
    unit_id = schema["paths"]["/api/v1/units/{id}/"]["get"]["parameters"][0]
    assert unit_id["schema"]["type"] == "integer"
    page = schema["components"]["schemas"]["PaginatedUnitList"]["properties"]
    assert set(page) == {"next", "previous", "results"}


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert out.read_text().startswith("openapi:")


@pytest.mark.django_db
def test_swagger_ui_loads_only_local_assets(client):
    r = client.get("/api/docs/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "swagger-ui" in html
    urls = URL_ATTR.findall(html)
    scripts = [u for u in urls if u.endswith(".js")]
    assert scripts, "the page references the Swagger UI bundle"
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"external asset: {url}"
    # nothing else in the page points at another host
    assert not re.search(r"https?://(?!testserver)", html)
    # no inline script or style (the Content-Security-Policy allows none): the init script has its own URL
    assert "<style" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)
    init = [u for u in urls if urlsplit(u).path == "/api/docs/"]
    assert len(init) == 1, urls
    script = client.get(init[0].replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert not re.search(r"https?://(?!testserver)", script.content.decode())
    for url in urls:
        if url in init:
            continue
        path = urlsplit(url).path
        assert path.startswith("/static/"), url
        assert finders.find(path.removeprefix("/static/")), f"not found by the staticfiles finders: {path}"
        asset = client.get(path)
        assert asset.status_code == 200, path
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert len(body) > 100

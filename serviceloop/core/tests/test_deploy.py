"""`manage.py check --deploy` is clean with production-like variables (and not without HTTPS)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from django.conf import settings


def _check_deploy(tmp_path, **overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "serviceloop.settings",
            "DEBUG": "false",
            "HTTPS": "true",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "service.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
            "VAR_DIR": str(tmp_path / "var"),
        }
    )
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _check_deploy(tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output


def test_check_deploy_warns_without_https(tmp_path):
    """The check above can fail: without HTTPS the insecure cookies and missing HSTS are reported."""
    result = _check_deploy(tmp_path, HTTPS="false")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "security.W004" in output  # SECURE_HSTS_SECONDS
    assert "security.W012" in output  # SESSION_COOKIE_SECURE

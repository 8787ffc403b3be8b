"""Core imports no domain app: every non-test module under serviceloop/core is parsed with ``ast``.

Refused: ``import serviceloop.<app>`` / ``from serviceloop.<app> ...`` (at module level or inside a
function), relative imports that climb out of core, and strings naming a domain app where Django or
importlib would load it (``import_module``, ``import_string``, ``apps.get_model``, ``apps.is_installed``,
``apps.get_app_config``, or any string that is a ``serviceloop.<app>`` path or a ``<app>.<Model>`` label).
Apps plug into core through core.registry instead. Core's templates name no domain app's URLs.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps

CORE = Path(__file__).resolve().parent.parent
PACKAGE_ROOT = CORE.parent  # serviceloop/
LOADERS = {"import_module", "import_string", "get_model", "is_installed", "get_app_config", "__import__"}


def domain_apps() -> set[str]:
    """Every package of serviceloop/ but core, and every installed app label of ours but core's."""
    names = {p.name for p in PACKAGE_ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    names |= {c.label for c in apps.get_app_configs() if c.name.startswith("serviceloop.")}
    return names - {"core"}


def core_modules() -> list[Path]:
    return sorted(p for p in CORE.rglob("*.py") if "tests" not in p.relative_to(CORE).parts)


def _module_of(path: Path) -> list[str]:
    parts = ["serviceloop", *path.relative_to(PACKAGE_ROOT).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _names_domain(text: str, domains: set[str]) -> bool:
    if re.fullmatch(r"serviceloop\.(\w+)(\..*)?", text):
        return text.split(".")[1] in domains
    match = re.fullmatch(r"(\w+)\.[A-Z]\w*", text)  # a model label: "workorders.WorkOrder"
    if match:
        return match.group(1) in domains
    return False


def violations(source: str, path: Path, domains: set[str]) -> list[str]:
    """What in this module names a domain app, as "line: what"."""
    tree = ast.parse(source, filename=str(path))
    here = _module_of(path)
    is_package = path.name == "__init__.py"
    found: list[str] = []

    def check_module(name: str, line: int, how: str) -> None:
        parts = name.split(".")
        if parts[0] == "serviceloop" and len(parts) > 1 and parts[1] in domains:
            found.append(f"{line}: {how} {name}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check_module(alias.name, node.lineno, "import")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here if is_package else here[:-1]
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                absolute = ".".join(base + ([node.module] if node.module else []))
            else:
                absolute = node.module or ""
            if absolute == "serviceloop":  # from serviceloop import accounts / from .. import accounts
                for alias in node.names:
                    check_module(f"serviceloop.{alias.name}", node.lineno, "from-import")
            else:
                check_module(absolute, node.lineno, "from-import")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in LOADERS:  # a bare app label: get_model("workorders", ...), get_app_config("feedback")
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value in domains:
                        found.append(f"{node.lineno}: {name}({arg.value!r})")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _names_domain(node.value, domains):
                found.append(f"{node.lineno}: string {node.value!r}")
    return sorted(set(found))


def test_core_imports_no_domain_app():
    domains = domain_apps()
    assert {"accounts", "customers", "assets", "service", "workorders", "feedback", "home"} <= domains
    report = {}
    for path in core_modules():
        found = violations(path.read_text(encoding="utf-8"), path, domains)
        if found:
            report[str(path.relative_to(PACKAGE_ROOT))] = found
    assert report == {}, f"core names domain apps (register through core.registry instead): {report!r}"


def test_core_templates_name_no_domain_urls():
    domains = domain_apps()
    report = {}
    for path in sorted((CORE / "templates").rglob("*.html")):
        names = re.findall(r"{%\s*url\s+['\"](\w+):", path.read_text(encoding="utf-8"))
        bad = sorted({n for n in names if n in domains})
        if bad:
            report[str(path.relative_to(CORE))] = bad
    assert report == {}


@pytest.mark.parametrize("source, line", [
    ("from serviceloop.accounts import stamps\n", "1: from-import serviceloop.accounts"),
    ("import serviceloop.assets.models\n", "1: import serviceloop.assets.models"),
    ("def f():\n    from serviceloop.customers.models import Customer\n", "2: from-import serviceloop.customers.models"),
    ("from .. import workorders\n", "1: from-import serviceloop.workorders"),
    ("from ..feedback.selectors import follow_ups_of\n", "1: from-import serviceloop.feedback.selectors"),
    ("import_module('serviceloop.workorders.selectors')\n", "1: string 'serviceloop.workorders.selectors'"),
    ("apps.get_model('workorders', 'WorkOrder')\n", "1: get_model('workorders')"),
    ("apps.get_model('workorders.WorkOrder')\n", "1: string 'workorders.WorkOrder'"),
    ("apps.is_installed('serviceloop.feedback')\n", "1: string 'serviceloop.feedback'"),
    ("SPECS = {'units': 'serviceloop.assets.imports.UnitImport'}\n", "1: string 'serviceloop.assets.imports.UnitImport'"),
])
def test_the_check_catches_each_kind_of_reach(source, line):
    found = violations(source, CORE / "example.py", domain_apps())
    assert line in found, found


@pytest.mark.parametrize("source", [
    "from serviceloop.core.models import TimelineEvent\n",
    "from . import registry\nfrom .stamps import StampedCache\n",
    "from django.apps import apps\napps.get_model('core', 'Attachment')\n",
    "WATCHED = ['auth.Group', 'core.WorkCalendar']\n",
    "SALT = 'serviceloop.imports.report'\n",  # not an app of ours
])
def test_the_check_lets_core_use_itself_and_django(source):
    assert violations(source, CORE / "example.py", domain_apps()) == []

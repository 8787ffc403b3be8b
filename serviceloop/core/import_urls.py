"""Excel imports, mounted at /imports/: one upload page and one template per kind of record.

The kinds are those the apps registered (core.registry.add_import in their AppConfig.ready, which runs
before any URLconf is read): ``imports:<name>`` at ``<name with dashes>/`` and ``imports:<name>_template``."""

from django.urls import path

from . import import_views, registry

app_name = "imports"
urlpatterns = []
for _name in registry.import_names():
    _slug = _name.replace("_", "-")
    urlpatterns += [
        path(f"{_slug}/", import_views.import_page, {"name": _name}, name=_name),
        path(f"{_slug}/template.xlsx", import_views.template_download, {"name": _name}, name=f"{_name}_template"),
    ]
urlpatterns.append(path("report/<str:token>/", import_views.report_download, name="report"))

"""Excel imports, mounted at /imports/: one upload page and one template per kind of record."""

from django.urls import path

from . import import_views

app_name = "imports"
urlpatterns = [
    path("customers/", import_views.import_page, {"name": "customers"}, name="customers"),
    path("customers/template.xlsx", import_views.template_download, {"name": "customers"}, name="customers_template"),
    path("units/", import_views.import_page, {"name": "units"}, name="units"),
    path("units/template.xlsx", import_views.template_download, {"name": "units"}, name="units_template"),
    path("sales-orders/", import_views.import_page, {"name": "sales_orders"}, name="sales_orders"),
    path("sales-orders/template.xlsx", import_views.template_download, {"name": "sales_orders"},
         name="sales_orders_template"),
    path("report/<str:token>/", import_views.report_download, name="report"),
]

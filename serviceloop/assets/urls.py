from django.urls import path

from . import views

app_name = "assets"
urlpatterns = [
    path("units/", views.UnitListView.as_view(), name="unit_list"),
    path("units/new/", views.UnitEditView.as_view(), name="unit_create"),
    path("units/labels.pdf", views.unit_labels, name="unit_labels"),
    path("units/<int:pk>/", views.UnitDetailView.as_view(), name="unit_detail"),
    path("units/<int:pk>/edit/", views.UnitEditView.as_view(), name="unit_edit"),
    path("units/<int:pk>/delete/", views.UnitDeleteView.as_view(), name="unit_delete"),
    path("units/<int:pk>/qr.svg", views.unit_qr, name="unit_qr"),
    path("units/<int:pk>/label.pdf", views.unit_label, name="unit_label"),
    path("units/<int:pk>/print.pdf", views.unit_print, name="unit_print"),
    path("q/<str:token>/", views.unit_qr_landing, name="unit_qr_landing"),
    path("sales-orders/", views.SalesOrderListView.as_view(), name="so_list"),
    path("sales-orders/new/", views.SalesOrderEditView.as_view(), name="so_create"),
    path("sales-orders/<int:pk>/", views.SalesOrderDetailView.as_view(), name="so_detail"),
    path("sales-orders/<int:pk>/edit/", views.SalesOrderEditView.as_view(), name="so_edit"),
    path("sales-orders/<int:pk>/delete/", views.SalesOrderDeleteView.as_view(), name="so_delete"),
    path("contracts/", views.ContractListView.as_view(), name="contract_list"),
    path("contracts/new/", views.ContractEditView.as_view(), name="contract_create"),
    path("contracts/<int:pk>/", views.ContractDetailView.as_view(), name="contract_detail"),
    path("contracts/<int:pk>/edit/", views.ContractEditView.as_view(), name="contract_edit"),
    path("contracts/<int:pk>/delete/", views.ContractDeleteView.as_view(), name="contract_delete"),
    path("models/", views.ProductModelListView.as_view(), name="model_list"),
    path("models/new/", views.ProductModelEditView.as_view(), name="model_create"),
    path("models/<int:pk>/", views.ProductModelDetailView.as_view(), name="model_detail"),
    path("models/<int:pk>/edit/", views.ProductModelEditView.as_view(), name="model_edit"),
    path("models/<int:pk>/delete/", views.ProductModelDeleteView.as_view(), name="model_delete"),
]

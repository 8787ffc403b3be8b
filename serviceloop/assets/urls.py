from django.urls import path

from . import views

app_name = "assets"
urlpatterns = [
    path("units/", views.UnitListView.as_view(), name="unit_list"),
    path("units/<int:pk>/", views.UnitDetailView.as_view(), name="unit_detail"),
    path("sales-orders/", views.SalesOrderListView.as_view(), name="so_list"),
    path("sales-orders/<int:pk>/", views.SalesOrderDetailView.as_view(), name="so_detail"),
    path("contracts/", views.ContractListView.as_view(), name="contract_list"),
    path("contracts/<int:pk>/", views.ContractDetailView.as_view(), name="contract_detail"),
    path("models/", views.ProductModelListView.as_view(), name="model_list"),
    path("models/<int:pk>/", views.ProductModelDetailView.as_view(), name="model_detail"),
]

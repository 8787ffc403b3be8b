from django.urls import path

from . import views

app_name = "parts"
urlpatterns = [
    path("", views.PartListView.as_view(), name="part_list"),
    path("new/", views.PartEditView.as_view(), name="part_create"),
    path("<int:pk>/", views.PartDetailView.as_view(), name="part_detail"),
    path("<int:pk>/edit/", views.PartEditView.as_view(), name="part_edit"),
    path("locations/", views.LocationListView.as_view(), name="location_list"),
    path("locations/new/", views.LocationEditView.as_view(), name="location_create"),
    path("locations/<int:pk>/", views.LocationDetailView.as_view(), name="location_detail"),
    path("locations/<int:pk>/edit/", views.LocationEditView.as_view(), name="location_edit"),
    path("stock/", views.StockListView.as_view(), name="stock"),
    path("stock/receive/", views.receive, name="receive"),
    path("stock/move/", views.transfer, name="transfer"),
    path("stock/reorder/", views.reorder, name="reorder"),
    path("ledger/", views.MoveListView.as_view(), name="move_list"),
    path("ledger/<int:pk>/", views.move_reverse, name="move_reverse"),
    path("serials/<int:pk>/", views.serial_detail, name="serial_detail"),
    path("requisitions/", views.RequisitionListView.as_view(), name="requisition_list"),
    path("requisitions/<int:pk>/", views.RequisitionDetailView.as_view(), name="requisition_detail"),
    path("requisitions/<int:pk>/step/<slug:step>/", views.RequisitionStepView.as_view(), name="requisition_step"),
    path("work-orders/<int:pk>/request/", views.requisition_new, name="requisition_new"),
    path("old-parts/", views.OldPartListView.as_view(), name="old_part_list"),
    path("old-parts/<int:pk>/", views.OldPartDetailView.as_view(), name="old_part_detail"),
    path("old-parts/<int:pk>/step/<slug:step>/", views.OldPartStepView.as_view(), name="old_part_step"),
]

from django.urls import path

from . import views

app_name = "service"

urlpatterns = [
    path("", views.RequestQueueView.as_view(), name="queue"),
    path("requests/", views.RequestListView.as_view(), name="list"),
    path("requests/new/", views.request_create, name="create"),
    path("requests/lookup/", views.unit_lookup, name="lookup"),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="detail"),
    path("requests/<int:pk>/review/", views.review_create, name="review"),
    path("requests/<int:pk>/intake.pdf", views.intake_record_pdf, name="intake_pdf"),
    path("reviews/<int:pk>/pdf/", views.review_pdf, name="review_pdf"),
    path("requests/<int:pk>/step/<slug:step>/", views.RequestStepView.as_view(), name="step"),
    path("portal/", views.portal_home, name="portal"),
    path("sla-policies/", views.SlaPolicyListView.as_view(), name="sla_policy_list"),
    path("sla-policies/new/", views.SlaPolicyEditView.as_view(), name="sla_policy_create"),
    path("sla-policies/<int:pk>/", views.SlaPolicyDetailView.as_view(), name="sla_policy_detail"),
    path("sla-policies/<int:pk>/edit/", views.SlaPolicyEditView.as_view(), name="sla_policy_edit"),
]

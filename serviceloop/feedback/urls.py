from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("", views.FollowUpQueueView.as_view(), name="queue"),
    path("requests/<int:pk>/follow-up/", views.FollowUpCallView.as_view(), name="follow_up"),
    path("requests/<int:pk>/rate/", views.RateView.as_view(), name="rate"),
    path("requests/<int:pk>/complaint/", views.ComplaintRegisterView.as_view(), name="complaint_on_request"),
    path("complaints/", views.ComplaintListView.as_view(), name="complaint_list"),
    path("complaints/new/", views.ComplaintRegisterView.as_view(), name="complaint_create"),
    path("complaints/<int:pk>/", views.ComplaintDetailView.as_view(), name="complaint_detail"),
    path("complaints/<int:pk>/print/", views.complaint_pdf, name="complaint_pdf"),
    path("complaints/<int:pk>/step/<slug:step>/", views.ComplaintStepView.as_view(), name="complaint_step"),
    path("follow-ups/<int:pk>/pdf/", views.follow_up_pdf, name="follow_up_pdf"),
]

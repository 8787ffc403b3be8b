from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("status/", views.status, name="status"),
    path("attachments/<int:pk>/download/", views.attachment_download, name="attachment_download"),
    path("attachments/add/<int:content_type_id>/<int:object_id>/", views.attachment_upload, name="attachment_upload"),
]

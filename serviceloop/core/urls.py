from django.urls import path

from . import notification_views, views

app_name = "core"
urlpatterns = [
    path("status/", views.status, name="status"),
    path("attachments/<int:pk>/download/", views.attachment_download, name="attachment_download"),
    path("attachments/add/<int:content_type_id>/<int:object_id>/", views.attachment_upload, name="attachment_upload"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/<int:pk>/", notification_views.notification_open, name="notification_open"),
    path("notifications/read-all/", notification_views.notifications_mark_all_read, name="notifications_mark_all_read"),
]

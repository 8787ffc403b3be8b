from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("settings/", views.my_settings, name="settings"),
    path("language/", views.switch_language, name="switch_language"),
]

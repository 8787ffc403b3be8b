from django.urls import path

from . import views

# no app_name: the page is ``{% url 'home' %}`` (and settings.LOGIN_REDIRECT_URL) as before
urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),  # public: browsers ask before anyone logs in
]

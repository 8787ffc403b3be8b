"""REST API v1: every viewset registered here goes through the access gate."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from serviceloop.customers.api import ContactViewSet, CustomerViewSet, SiteViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("sites", SiteViewSet, basename="site")
router.register("contacts", ContactViewSet, basename="contact")

urlpatterns = [path("", include(router.urls))]

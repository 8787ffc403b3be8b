from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from serviceloop.core import views as core_views
from serviceloop.core.forms import AdminLoginForm

handler400 = "serviceloop.core.views.bad_request"
handler403 = "serviceloop.core.views.permission_denied"
handler404 = "serviceloop.core.views.not_found"
handler500 = "serviceloop.core.views.server_error"

admin.site.login_form = AdminLoginForm  # the login lockout's message there too (core/lockout.py)

urlpatterns = [
    path("", include("serviceloop.home.urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/login/", core_views.ServiceLoopLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("serviceloop.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("core/", include("serviceloop.core.urls")),
    path("customers/", include("serviceloop.customers.urls")),
    path("assets/", include("serviceloop.assets.urls")),
    path("service/", include("serviceloop.service.urls")),
    path("workorders/", include("serviceloop.workorders.urls")),
    path("feedback/", include("serviceloop.feedback.urls")),
    path("parts/", include("serviceloop.parts.urls")),
    path("imports/", include("serviceloop.core.import_urls")),
    path("api/v1/", include("serviceloop.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
]

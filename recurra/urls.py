from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from recurra.api import problems
from recurra.api.main import api
from recurra.web.views import errors

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("recurra.web.urls")),
]


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500: a problem+json under /api/, the styled 500 page elsewhere."""
    if request.path.startswith("/api/"):
        return problems.server_error()
    return errors.server_error(request)


handler500 = server_error

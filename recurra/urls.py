from django.urls import include, path

from recurra.api.main import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("recurra.web.urls")),
]

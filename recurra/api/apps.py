from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "recurra.api"
    label = "api"
    verbose_name = "REST API"

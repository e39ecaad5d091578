from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "recurra.web"
    label = "web"
    verbose_name = "Web app"

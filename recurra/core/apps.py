from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "recurra.core"
    label = "core"
    verbose_name = "Recurra core"

from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "recurra.commerce"
    label = "commerce"
    verbose_name = "Commerce"

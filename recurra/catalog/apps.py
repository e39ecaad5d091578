from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "recurra.catalog"
    label = "catalog"
    verbose_name = "Product library"

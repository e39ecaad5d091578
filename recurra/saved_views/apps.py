from django.apps import AppConfig


class SavedViewsConfig(AppConfig):
    name = "recurra.saved_views"
    label = "saved_views"
    verbose_name = "Saved views"

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "recurra.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

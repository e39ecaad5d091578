from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "recurra.billing"
    label = "billing"
    verbose_name = "The billing run and worker"

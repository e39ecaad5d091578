from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "recurra.subscriptions"
    label = "subscriptions"
    verbose_name = "Subscriptions"

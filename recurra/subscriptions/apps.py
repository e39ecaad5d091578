from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "recurra.subscriptions"
    label = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self) -> None:
        from recurra.subscriptions import canceling, refunded  # noqa: F401 (the cancellation refund's job handler, the refund hook)

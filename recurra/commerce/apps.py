from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "recurra.commerce"
    label = "commerce"
    verbose_name = "Commerce"

    def ready(self) -> None:
        from recurra.commerce import stripe_events  # noqa: F401 (the stripe_event job's handler)

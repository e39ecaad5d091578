from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "recurra.payments"
    label = "payments"
    verbose_name = "Payments and payment methods"

    def ready(self) -> None:
        from recurra.payments import refunds  # noqa: F401 (the refund follow-up's job handler)

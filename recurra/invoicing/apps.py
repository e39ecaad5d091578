from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "recurra.invoicing"
    label = "invoicing"
    verbose_name = "Invoices"

    def ready(self) -> None:
        from recurra.invoicing import refunded  # noqa: F401 (the refund hook)

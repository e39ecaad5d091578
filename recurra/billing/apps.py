from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "recurra.billing"
    label = "billing"
    verbose_name = "The billing run and worker"

    def ready(self) -> None:
        from recurra.billing import follow_ups  # noqa: F401 (the invoice_charge job's handler)

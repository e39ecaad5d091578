from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "recurra.billing"
    label = "billing"
    verbose_name = "The billing run and worker"

    def ready(self) -> None:
        # the invoice_charge and admin_digest jobs' handlers
        from recurra.billing import digest, follow_ups  # noqa: F401

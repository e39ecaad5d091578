from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "recurra.invoicing"
    label = "invoicing"
    verbose_name = "Invoices"

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "recurra.payments"
    label = "payments"
    verbose_name = "Payments and payment methods"

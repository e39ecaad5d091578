from django.apps import AppConfig


class GatewaysConfig(AppConfig):
    name = "recurra.payments.gateways"
    label = "gateways"
    verbose_name = "Payment gateways (sandbox tables)"

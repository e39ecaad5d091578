from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "recurra.crm"
    label = "crm"
    verbose_name = "CRM"

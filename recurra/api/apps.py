from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "recurra.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from recurra.api import webhook_objects

        webhook_objects.register()  # a webhook's object is what GET shows (automation.webhooks.objects)

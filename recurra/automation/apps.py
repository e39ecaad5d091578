from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "recurra.automation"
    label = "automation"
    verbose_name = "Automation: workflows and webhooks"

    def ready(self) -> None:
        from recurra.automation.webhooks import delivery, publishing
        from recurra.automation.workflows import running

        publishing.register()  # audit events → public events and deliveries, in their transaction
        delivery.register()  # the delivery queue of the job runner
        running.register()  # the enrollments' queue of the job runner (workflows)

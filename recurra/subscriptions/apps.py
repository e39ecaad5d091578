from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "recurra.subscriptions"
    label = "subscriptions"
    verbose_name = "Subscriptions"

    def ready(self) -> None:
        from recurra.notifications.bulk import register_contact_facts
        from recurra.subscriptions import canceling, contact_facts, refunded  # noqa: F401 (the cancellation refund's job handler, the refund hook)

        register_contact_facts(contact_facts.contact_facts)  # the email to a list's placeholders

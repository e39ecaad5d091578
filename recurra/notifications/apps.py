from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "recurra.notifications"
    label = "notifications"
    verbose_name = "Emails and notices"

    def ready(self) -> None:
        from recurra.notifications import bulk, send  # noqa: F401 (bulk: the bulk email's job handler)

        send.register_emails()

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "recurra.notifications"
    label = "notifications"
    verbose_name = "Emails and notices"

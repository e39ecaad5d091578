from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "recurra.core"
    label = "core"
    verbose_name = "Recurra core"

    def ready(self) -> None:
        from recurra.core import redaction

        redaction.install()  # no buyer token in any log line (core.redaction)

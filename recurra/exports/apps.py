from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "recurra.exports"
    label = "exports"
    verbose_name = "Exports"

    def ready(self) -> None:
        from recurra.exports.running import register_exports

        register_exports()

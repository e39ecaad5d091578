from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "recurra.ops"
    label = "ops"
    verbose_name = "Operations: health, metrics, worker heartbeats"

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started

        from recurra.ops.middleware import request_begin, request_end

        request_started.connect(request_begin, dispatch_uid="recurra.ops.request_begin")
        request_finished.connect(request_end, dispatch_uid="recurra.ops.request_end")

from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "recurra.worker"
    label = "worker"
    verbose_name = "The worker and the test clock"

    def ready(self) -> None:
        from recurra.core import clock
        from recurra.worker.testclock import clock_advance

        clock.register_due_work_runner(clock_advance)  # the API's and the web app's test clock

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "recurra.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        from recurra.jobs import runner

        runner.register_jobs()

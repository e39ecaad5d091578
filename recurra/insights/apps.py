from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "recurra.insights"
    label = "insights"
    verbose_name = "Insights: lists"

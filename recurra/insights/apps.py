from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "recurra.insights"
    label = "insights"
    verbose_name = "Insights: lists"

    def ready(self) -> None:
        from recurra.insights.lists.selectors import in_list_condition
        from recurra.saved_views.query import register_condition

        register_condition("in_list", in_list_condition)  # {"in_list": id} in any subscription filter

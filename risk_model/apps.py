from django.apps import AppConfig


class RiskModelConfig(AppConfig):
    name = "risk_model"
    verbose_name = "Built-in risk model"

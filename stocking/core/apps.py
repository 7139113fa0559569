from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "stocking.core"
    label = "core"
    verbose_name = "StocKing core"

from django.apps import AppConfig


class AlpacaConfig(AppConfig):
    name = "alpaca"
    verbose_name = "Alpaca-compatible API"

    def ready(self) -> None:
        from alpaca import schema  # noqa: F401 - registers the authentication schemes with drf-spectacular

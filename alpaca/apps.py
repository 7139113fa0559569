import os

from django.apps import AppConfig


class AlpacaConfig(AppConfig):
    name = "alpaca"
    verbose_name = "Alpaca-compatible API"
    # The package's __path__ also holds alpaca-py's directory (alpaca/__init__.py): this app is the first.
    path = os.path.dirname(os.path.abspath(__file__))

    def ready(self) -> None:
        from alpaca import schema  # noqa: F401 - registers the authentication schemes with drf-spectacular

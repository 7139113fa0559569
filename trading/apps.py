from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "trading"
    verbose_name = "Trading"

    def ready(self) -> None:
        from portfolio.audit import register_check
        from trading.audit import check_order_events

        register_check(check_order_events)

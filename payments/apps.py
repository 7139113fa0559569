from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from payments.audit import check_payments
        from payments.reset_hook import prepare_reset
        from portfolio.audit import register_check
        from trading.services.reset import register_reset_step

        register_check(check_payments)
        register_reset_step(prepare_reset)

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from payments.audit import check_payments
        from portfolio.audit import register_check

        register_check(check_payments)

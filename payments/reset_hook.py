"""The account reset's payments step, registered from PaymentsConfig.ready() (trading must not
import payments): lock the payments first, settle them once the reset has set the cash."""

from collections.abc import Callable

from accounts.models import User
from payments.services.apply import payments_lock_for_reset, payments_take_back_on_reset
from portfolio.models import Balance


def prepare_reset(*, user: User) -> Callable[[Balance], None] | None:
    payments = payments_lock_for_reset(user=user)
    if not payments:
        return None
    return lambda balance: payments_take_back_on_reset(payments=payments, balance=balance)

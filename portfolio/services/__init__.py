from portfolio.services.ledger import (
    balance_adjust,
    balance_deposit,
    balance_lock,
    balance_open,
    balance_withdraw,
    cash_release,
    cash_reserve,
    ledger_post,
)
from portfolio.services.positions import position_apply_buy, position_apply_sell, shares_release, shares_reserve

__all__ = [
    "balance_adjust",
    "balance_deposit",
    "balance_lock",
    "balance_open",
    "balance_withdraw",
    "cash_release",
    "cash_reserve",
    "ledger_post",
    "position_apply_buy",
    "position_apply_sell",
    "shares_release",
    "shares_reserve",
]

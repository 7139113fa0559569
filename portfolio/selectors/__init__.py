from portfolio.selectors.cash import balance_get, ledger_list
from portfolio.selectors.leaderboard import LeaderboardRow, leaderboard
from portfolio.selectors.performance import (
    HISTORY_PERIODS,
    STATS_PERIODS,
    last_reset,
    portfolio_history,
    portfolio_stats,
)
from portfolio.selectors.valuation import portfolio_allocation, portfolio_value, position_list

__all__ = [
    "HISTORY_PERIODS",
    "STATS_PERIODS",
    "balance_get",
    "last_reset",
    "LeaderboardRow",
    "leaderboard",
    "ledger_list",
    "portfolio_allocation",
    "portfolio_history",
    "portfolio_stats",
    "portfolio_value",
    "position_list",
]

"""After a run: compare what clients were told with what the private database holds, and tally answers."""

import os
import sys
from collections import Counter
from dataclasses import dataclass, field

from .cluster import ROOT
from .workload import Acknowledged, Answer


@dataclass
class Fault:
    name: str
    at: float  # when it was injected
    recovered: float  # when the service was whole again (see `recovery`)
    recovery: str  # what "recovered" means for this fault, with the figure
    marks: dict = field(default_factory=dict)  # other instants worth printing, e.g. "database ready"


@dataclass
class BookCheck:
    problems: list[str] = field(default_factory=list)
    figures: dict = field(default_factory=dict)


def status_class(status: int | str) -> str:
    if isinstance(status, str):
        return status
    return f"{status}"


def tally(answers, *, codes: bool = False) -> Counter:
    """Answers by status; with `codes`, errors by status and code ("400 insufficient_shares")."""
    return Counter(f"{a.status} {a.code}" if codes and a.code else status_class(a.status) for a in answers)


def format_tally(counts: Counter) -> str:
    if not counts:
        return "none"
    numeric = sorted((k for k in counts if k[:3].isdigit()), key=lambda k: (int(k[:3]), k))
    other = sorted(k for k in counts if not k[:3].isdigit())
    return "  ".join(f"{k}: {counts[k]}" for k in numeric + other)


def server_errors(answers: list[Answer]) -> list[Answer]:
    return [a for a in answers if a.target == "api" and isinstance(a.status, int) and a.status >= 500]


def misshapen(answers: list[Answer]) -> list[Answer]:
    """API errors that are not JSON {"detail", "code"}, and 5xx other than the database's 503."""
    bad = [a for a in answers if a.target == "api" and isinstance(a.status, int) and a.status >= 400]
    return [
        a
        for a in bad
        if not a.error_shape_ok or (a.status >= 500 and (a.status, a.code) != (503, "database_unavailable"))
    ]


def verify_books(env: dict, acked: Acknowledged) -> BookCheck:
    """Every acknowledged write is in the database; nothing refused was written; nothing appeared unasked."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from payments.models import Payment
    from portfolio.models import AccountReset, CashLedgerEntry
    from trading.models import Execution, Order, OrderStatus

    check = BookCheck()
    in_db = dict(Order.objects.exclude(client_order_id=None).values_list("client_order_id", "id"))
    outcomes = Counter(kind for kind, _ in acked.orders.values())
    unknown_written: Counter = Counter()
    for coid, (kind, value) in acked.orders.items():
        if kind == "acked" and in_db.get(coid) != value:
            check.problems.append(f"order {coid} was acknowledged as id {value} but the database has {in_db.get(coid)}")
        elif kind == "rejected" and coid in in_db:
            check.problems.append(f"order {coid} was refused ({value}) but written as id {in_db[coid]}")
        elif kind == "unknown" and coid in in_db:
            unknown_written[str(value)] += 1
    for coid in set(in_db) - set(acked.orders):
        check.problems.append(f"order {coid} (id {in_db[coid]}) exists but no client sent it")
    not_cancelled = Order.objects.filter(pk__in=acked.cancels).exclude(status=OrderStatus.CANCELLED).count()
    if not_cancelled:
        check.problems.append(f"{not_cancelled} orders acknowledged as cancelled are not cancelled")
    entries = CashLedgerEntry.objects.filter(pk__in=acked.entries).count()
    if entries != len(set(acked.entries)):
        check.problems.append(f"{len(set(acked.entries)) - entries} acknowledged deposits/withdrawals are missing")
    resets = AccountReset.objects.filter(pk__in=acked.resets).count()
    if resets != len(set(acked.resets)):
        check.problems.append(f"{len(set(acked.resets)) - resets} acknowledged resets are missing")
    credited = Payment.objects.filter(merchant_uid__in=acked.credited, credit_entry__isnull=False).count()
    if credited != len(acked.credited):
        check.problems.append(f"{len(acked.credited) - credited} top-ups acknowledged as credited are not credited")
    check.figures = {
        "orders sent": len(acked.orders),
        "acknowledged": outcomes["acked"],
        "refused (4xx)": outcomes["rejected"],
        "no answer or 5xx": outcomes["unknown"],
        "of which committed": f"{sum(unknown_written.values())} ({dict(unknown_written) or 'none'})",
        "fills": Execution.objects.count(),
        "fills of limit orders": Execution.objects.filter(order__order_type="limit").count(),
        "cancels acknowledged": len(acked.cancels),
        "deposits/withdrawals acknowledged": len(acked.entries),
        "resets acknowledged": len(acked.resets),
        "top-ups paid at the sandbox": len(acked.paid),
        "top-ups acknowledged credited": len(acked.credited),
    }
    return check

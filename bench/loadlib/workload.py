"""The clients: threads that each make random API calls until the run's operation budget is spent,
recording every answer and what the server acknowledged (so the books can be checked afterwards)."""

import random
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal

import requests

API = "/api/v1"
PASSWORD = "load-Test-pass-2026"
# Operation mix: weights, roughly a retail day with a few top-ups and the odd reset.
MIX = {
    "market_buy": 12,
    "market_sell": 8,
    "limit_buy": 14,
    "limit_sell": 10,
    "modify": 9,
    "cancel": 9,
    "deposit": 8,
    "withdraw": 6,
    "topup": 4,
    "read": 10,
    "quote": 8,
    "reset": 1,
}


@dataclass
class Answer:
    started: float
    ended: float
    client: int
    op: str
    request: str  # "POST /orders/{id}/cancel": the endpoint, not the id
    target: str  # "api" (gunicorn) or "sandbox"
    status: int | str  # an HTTP status, or "connection_error" / "timeout"
    code: str | None = None  # the error body's code
    error_shape_ok: bool = True  # a 4xx/5xx from the API is JSON {"detail", "code"}


@dataclass
class Acknowledged:
    """What the server said it did, and what stayed unknown (no answer, or a 5xx)."""

    orders: dict = field(
        default_factory=dict
    )  # client_order_id → ("acked", id) | ("rejected", status) | ("unknown", s)
    cancels: list = field(default_factory=list)  # order ids answered 200 to a cancel
    entries: list = field(default_factory=list)  # ledger entry ids of acknowledged deposits and withdrawals
    resets: list = field(default_factory=list)  # AccountReset ids
    paid: dict = field(default_factory=dict)  # merchant_uid → imp_uid, paid at the sandbox
    credited: set = field(default_factory=set)  # merchant_uids answered 200 by /payments/complete
    lock: threading.Lock = field(default_factory=threading.Lock)


class Budget:
    """The run's fixed number of operations, shared by every client."""

    def __init__(self, total: int) -> None:
        self.total, self.taken = total, 0
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            if self.taken >= self.total:
                return False
            self.taken += 1
            return True

    @property
    def progress(self) -> float:
        return self.taken / self.total


@dataclass
class Quote:
    price: Decimal
    tick: Decimal
    lower: Decimal
    upper: Decimal

    @classmethod
    def from_json(cls, body: dict) -> "Quote":
        return cls(*(Decimal(body[key]) for key in ("price", "tick_size", "lower_limit", "upper_limit")))


def register_users(base_url: str, count: int, prefix: str) -> list[dict]:
    users = []
    with requests.Session() as session:
        for n in range(count):
            username = f"{prefix}{n}"
            body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
            session.post(f"{base_url}{API}/auth/register", json=body, timeout=30).raise_for_status()
            token = session.post(
                f"{base_url}{API}/auth/token", json={"username": username, "password": PASSWORD}, timeout=30
            )
            token.raise_for_status()
            users.append(
                {"index": n, "username": username, "auth": {"Authorization": f"Bearer {token.json()['access']}"}}
            )
    return users


def pick_stocks(base_url: str, count: int, rng: random.Random) -> dict[str, Quote]:
    """A few liquid-looking stocks between 5,000 and 150,000 won, so orders of a few shares are affordable."""
    listing = requests.get(f"{base_url}{API}/stocks", params={"page_size": 200}, timeout=30).json()["results"]
    codes = sorted(s["code"] for s in listing if s["price"] and 5_000 <= Decimal(s["price"]) <= 150_000)
    chosen = rng.sample(codes, min(count, len(codes)))
    return {code: Quote.from_json(requests.get(f"{base_url}{API}/stocks/{code}", timeout=30).json()) for code in chosen}


class Client(threading.Thread):
    def __init__(
        self,
        index: int,
        *,
        base_url: str,
        sandbox_url: str,
        users: list[dict],
        quotes: dict[str, Quote],
        budget: Budget,
        acked: Acknowledged,
        answers: list[Answer],
        seed: int,
        run_id: str,
    ) -> None:
        super().__init__(name=f"load-client-{index}", daemon=True)
        self.index, self.base_url, self.sandbox_url = index, base_url, sandbox_url
        self.users, self.quotes = users, dict(quotes)
        self.budget, self.acked, self.answers = budget, acked, answers
        self.rng = random.Random(seed * 1_000 + index)
        self.run_id = run_id
        self.session = requests.Session()
        self.open_orders: list[tuple[dict, int, str]] = []  # (user, order id, stock code) it placed and saw resting
        self.sequence = 0
        self.failures: list[str] = []
        self.kinds, self.weights = list(MIX), list(MIX.values())

    def run(self) -> None:
        while self.budget.take():
            kind = self.rng.choices(self.kinds, self.weights)[0]
            user = self.rng.choice(self.users)
            try:
                getattr(self, f"op_{kind}")(user)
            except Exception as exc:  # a surprising answer must not end the client: it is reported instead
                self.failures.append(f"client {self.index} {kind}: {exc!r}")
        self.session.close()

    # --- one HTTP call, recorded

    def call(self, op: str, method: str, path: str, template: str, *, user=None, body=None, sandbox=False):
        url = f"{self.sandbox_url}{path}" if sandbox else f"{self.base_url}{API}{path}"
        started = time.monotonic()
        answer = Answer(started, started, self.index, op, f"{method} {template}", "sandbox" if sandbox else "api", 0)
        payload = None
        try:
            response = self.session.request(method, url, json=body, headers=user["auth"] if user else None, timeout=20)
            answer.status = response.status_code
            try:
                payload = response.json()
            except ValueError:
                payload = None
            if response.status_code >= 400 and not sandbox:
                answer.error_shape_ok = (
                    response.headers.get("Content-Type", "").startswith("application/json")
                    and isinstance(payload, dict)
                    and isinstance(payload.get("detail"), str)
                    and isinstance(payload.get("code"), str)
                )
                answer.code = payload.get("code") if isinstance(payload, dict) else None
        except requests.Timeout:
            answer.status = "timeout"
        except requests.ConnectionError:
            answer.status = "connection_error"
        answer.ended = time.monotonic()
        self.answers.append(answer)  # list.append is atomic: no lock needed
        if answer.status == 503 or isinstance(answer.status, str):
            # What a polite client does with Retry-After: back off instead of hammering a sick server.
            time.sleep(self.rng.uniform(0.2, 0.5))
        return answer.status, payload

    # --- operations

    def _limit_price(self, code: str, side: str) -> Decimal:
        quote = self.quotes[code]
        steps = self.rng.randint(0, 3) * quote.tick
        price = quote.price - steps if side == "buy" else quote.price + steps
        price = (price // quote.tick) * quote.tick
        return min(max(price, quote.lower), quote.upper)

    def _place(self, user, side: str, order_type: str, quantity: int) -> None:
        self.sequence += 1
        coid = f"{self.run_id}-{self.index}-{self.sequence}"
        code = self.rng.choice(list(self.quotes))
        body = {"stock": code, "side": side, "order_type": order_type, "quantity": quantity, "client_order_id": coid}
        if order_type == "limit":
            body["limit_price"] = str(self._limit_price(code, side))
            body["time_in_force"] = self.rng.choice(["day", "gtc"])
        status, payload = self.call(f"{order_type}_{side}", "POST", "/orders", "/orders", user=user, body=body)
        if status in (200, 201):
            outcome = ("acked", payload["id"])
            if payload["status"] in ("pending", "partially_filled"):
                self.open_orders = [*self.open_orders[-49:], (user, payload["id"], code)]
        elif isinstance(status, int) and 400 <= status < 500:
            outcome = ("rejected", status)
        else:
            outcome = ("unknown", status)
        with self.acked.lock:
            self.acked.orders[coid] = outcome

    def op_market_buy(self, user) -> None:
        self._place(user, "buy", "market", self.rng.randint(1, 5))

    def op_market_sell(self, user) -> None:
        self._place(user, "sell", "market", self.rng.randint(1, 3))

    def op_limit_buy(self, user) -> None:
        self._place(user, "buy", "limit", self.rng.randint(1, 5))

    def op_limit_sell(self, user) -> None:
        self._place(user, "sell", "limit", self.rng.randint(1, 3))

    def op_modify(self, user) -> None:
        if not self.open_orders:
            return self.op_limit_buy(user)
        owner, order_id, code = self.rng.choice(self.open_orders)
        side = "buy" if self.rng.random() < 0.5 else "sell"  # only the price level matters; a wrong side is fine
        body = {"limit_price": str(self._limit_price(code, side)), "quantity": self.rng.randint(1, 5)}
        status, _ = self.call("modify", "PATCH", f"/orders/{order_id}", "/orders/{id}", user=owner, body=body)
        if status in (404, 409):
            self.open_orders = [o for o in self.open_orders if o[1] != order_id]

    def op_cancel(self, user) -> None:
        if not self.open_orders:
            return self.op_limit_sell(user)
        owner, order_id, _ = self.rng.choice(self.open_orders)
        status, _ = self.call("cancel", "POST", f"/orders/{order_id}/cancel", "/orders/{id}/cancel", user=owner)
        if status == 200:
            with self.acked.lock:
                self.acked.cancels.append(order_id)
        if status in (200, 404, 409):
            self.open_orders = [o for o in self.open_orders if o[1] != order_id]

    def _cash(self, user, kind: str, low: int, high: int) -> None:
        amount = str(self.rng.randrange(low, high + 1, 1000))
        status, payload = self.call(
            kind, "POST", f"/balance/{kind}", f"/balance/{kind}", user=user, body={"amount": amount}
        )
        if status == 201:
            with self.acked.lock:
                self.acked.entries.append(payload["entry"]["id"])

    def op_deposit(self, user) -> None:
        self._cash(user, "deposit", 10_000, 300_000)

    def op_withdraw(self, user) -> None:
        self._cash(user, "withdraw", 10_000, 200_000)

    def op_topup(self, user) -> None:
        amount = str(self.rng.randrange(1_000, 50_001, 1_000))
        status, prepared = self.call(
            "topup", "POST", "/payments/prepare", "/payments/prepare", user=user, body={"amount": amount}
        )
        if status != 201:
            return
        merchant_uid = prepared["merchant_uid"]
        status, paid = self.call(
            "topup", "POST", "/sandbox/pay", "/sandbox/pay", body={"merchant_uid": merchant_uid}, sandbox=True
        )
        if status != 200:
            return
        imp_uid = paid["response"]["imp_uid"]
        with self.acked.lock:
            self.acked.paid[merchant_uid] = (user, imp_uid)
        self.complete(user, merchant_uid, imp_uid, op="topup")

    def complete(self, user, merchant_uid: str, imp_uid: str, *, op: str) -> int | str:
        body = {"imp_uid": imp_uid, "merchant_uid": merchant_uid}
        status, _ = self.call(op, "POST", "/payments/complete", "/payments/complete", user=user, body=body)
        if status == 200:
            with self.acked.lock:
                self.acked.credited.add(merchant_uid)
        return status

    def op_read(self, user) -> None:
        path = self.rng.choice(["/balance", "/orders?status=pending", "/portfolio", "/executions"])
        self.call("read", "GET", path, path.split("?")[0], user=user)

    def op_quote(self, user) -> None:
        code = self.rng.choice(list(self.quotes))
        status, payload = self.call("quote", "GET", f"/stocks/{code}", "/stocks/{code}")
        if status == 200 and isinstance(payload, dict):
            self.quotes[code] = Quote.from_json(payload)

    def op_reset(self, user) -> None:
        status, payload = self.call(
            "reset", "POST", "/account/reset", "/account/reset", user=user, body={"confirm": "RESET"}
        )
        if status == 200:
            with self.acked.lock:
                self.acked.resets.append(payload["id"])

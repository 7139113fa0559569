"""A local PortOne V1 server: the real `iamport` client talks to it over HTTP, in tests and in `make run`.

It speaks the V1 endpoints the adapter uses, with PortOne's envelope `{"code", "message", "response"}`
and its HTTP statuses (401 for bad credentials or a missing token, 404 for an unknown payment):

    POST /users/getToken                    {"imp_key", "imp_secret"} → {"access_token", "now", "expired_at"}
    GET  /payments/{imp_uid}                a payment
    GET  /payments/find/{merchant_uid}      the latest attempt for an order id
    POST /payments/prepare                  {"merchant_uid", "amount"}: the only amount a payment may have
    GET  /payments/prepare/{merchant_uid}
    POST /payments/cancel                   {"imp_uid" | "merchant_uid", "amount"?, "checksum"?, "reason"}

and control endpoints (no auth; loopback only) that stand in for the browser and PortOne's console:

    POST /sandbox/pay      {"merchant_uid", "amount"?, "status"?: "paid"|"failed", "pay_method"?}: pays a
                           prepared payment; another amount simulates a tampered payment
    POST /sandbox/cancel   {"imp_uid", "amount"?, "reason"?}: a refund made in PortOne's console
    POST /sandbox/config   {"delay"?: seconds before every API answer, "outage"?: HTTP status to answer
                           every API call with, 0 to stop; "outage_on"?: {path prefix: HTTP status}, the
                           outage on those API paths only; "lost_answers"?: {path prefix: seconds}, calls
                           on those paths are carried out, then answered only after that long, as when
                           PortOne's reply is lost: a client with a shorter timeout never sees it}
    POST /sandbox/reset    forget everything

With a webhook URL, payments made and console refunds are notified as PortOne does:
`POST {"imp_uid", "merchant_uid", "status"}`.
"""

import json
import logging
import secrets
import sys
import threading
import time
import urllib.request
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

logger = logging.getLogger(__name__)

Answer = tuple[int, int, str | None, object]  # HTTP status, PortOne code, message, response


def _ok(response: object) -> Answer:
    return 200, 0, None, response


def _refused(message: str) -> Answer:
    # PortOne answers business refusals with HTTP 200 and a non-zero code.
    return 200, 1, message, None


def _not_found(message: str = "존재하지 않는 결제정보입니다.") -> Answer:
    return 404, 1, message, None


def _won(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return int(amount) if amount == amount.to_integral_value() else None


class SandboxState:
    """Everything the sandbox knows, in memory, behind one lock."""

    def __init__(self, *, api_key: str, api_secret: str, webhook_url: str = "") -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.webhook_url = webhook_url
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.tokens: set[str] = set()
            self.prepared: dict[str, int] = {}
            self.payments: dict[str, dict] = {}
            self.latest: dict[str, str] = {}  # merchant_uid → imp_uid of its newest attempt
            self.delay = 0.0
            self.outage = 0
            self.outage_on: dict[str, int] = {}
            self.lost_answers: dict[str, float] = {}

    # --- PortOne's API
    def get_token(self, body: dict) -> Answer:
        if body.get("imp_key") != self.api_key or body.get("imp_secret") != self.api_secret:
            return 401, -1, "imp_key, imp_secret 파라메터가 누락되었거나 올바르지 않습니다.", None
        token = secrets.token_hex(20)
        now = int(time.time())
        with self.lock:
            self.tokens.add(token)
        return _ok({"access_token": token, "now": now, "expired_at": now + 1800})

    def authorized(self, header: str) -> bool:
        token = header.removeprefix("Bearer ").strip()
        with self.lock:
            return token in self.tokens

    def get_payment(self, imp_uid: str) -> Answer:
        with self.lock:
            payment = self.payments.get(imp_uid)
            return _ok(dict(payment)) if payment else _not_found()

    def find_payment(self, merchant_uid: str) -> Answer:
        with self.lock:
            imp_uid = self.latest.get(merchant_uid)
            return _ok(dict(self.payments[imp_uid])) if imp_uid else _not_found()

    def prepare(self, body: dict) -> Answer:
        merchant_uid, amount = str(body.get("merchant_uid") or ""), _won(body.get("amount"))
        if not merchant_uid or amount is None or amount <= 0:
            return _refused("merchant_uid와 amount는 필수입니다.")
        with self.lock:
            if merchant_uid in self.prepared:
                return _refused("이미 등록된 merchant_uid입니다.")
            self.prepared[merchant_uid] = amount
        return _ok({"merchant_uid": merchant_uid, "amount": amount})

    def get_prepared(self, merchant_uid: str) -> Answer:
        with self.lock:
            amount = self.prepared.get(merchant_uid)
        if amount is None:
            return _not_found("사전 등록된 결제정보가 없습니다.")
        return _ok({"merchant_uid": merchant_uid, "amount": amount})

    def cancel(self, body: dict) -> Answer:
        with self.lock:
            imp_uid = body.get("imp_uid") or self.latest.get(str(body.get("merchant_uid") or ""))
            payment = self.payments.get(str(imp_uid or ""))
            if payment is None:
                return _refused("취소할 결제건이 존재하지 않습니다.")
            if payment["status"] != "paid":
                return _refused("결제완료 상태가 아니어서 취소할 수 없습니다.")
            cancellable = payment["amount"] - payment["cancel_amount"]
            checksum = _won(body.get("checksum"))
            if body.get("checksum") is not None and checksum != cancellable:
                return _refused(f"checksum 불일치: 취소가능금액은 {cancellable}원입니다.")
            amount = _won(body.get("amount")) if body.get("amount") is not None else cancellable
            if amount is None or amount <= 0 or amount > cancellable:
                return _refused(f"취소가능금액({cancellable}원)을 초과합니다.")
            now = int(time.time())
            reason = str(body.get("reason") or "")
            payment["cancel_history"].append(
                {
                    "pg_tid": payment["pg_tid"],
                    "amount": amount,
                    "cancelled_at": now,
                    "reason": reason,
                    "receipt_url": "",
                    "cancellation_id": f"cncl_{secrets.token_hex(8)}",
                }
            )
            payment["cancel_amount"] += amount
            if payment["cancel_amount"] == payment["amount"]:
                payment.update(status="cancelled", cancelled_at=now, cancel_reason=reason)
            return _ok(dict(payment))

    # --- control: the browser and the console
    def pay(self, body: dict) -> Answer:
        merchant_uid = str(body.get("merchant_uid") or "")
        status = body.get("status") or "paid"
        if status not in ("paid", "failed"):
            return 400, 1, "status must be paid or failed", None
        with self.lock:
            prepared = self.prepared.get(merchant_uid)
            amount = _won(body.get("amount")) if body.get("amount") is not None else prepared
            if prepared is None or amount is None:
                return _not_found("사전 등록된 결제정보가 없습니다.")
            previous = self.payments.get(self.latest.get(merchant_uid, ""))
            if previous and previous["status"] in ("paid", "cancelled"):
                return _refused("이미 결제된 merchant_uid입니다.")
            now = int(time.time())
            imp_uid = f"imp_{secrets.randbelow(10**12):012d}"
            payment = {
                "imp_uid": imp_uid,
                "merchant_uid": merchant_uid,
                "pay_method": str(body.get("pay_method") or "card"),
                "channel": "pc",
                "pg_provider": "sandbox",
                "pg_tid": f"sandbox_{secrets.token_hex(6)}",
                "name": "",
                "amount": amount,
                "cancel_amount": 0,
                "currency": "KRW",
                "status": status,
                "started_at": now,
                "paid_at": now if status == "paid" else 0,
                "failed_at": now if status == "failed" else 0,
                "cancelled_at": 0,
                "fail_reason": "사용자가 결제를 취소하였습니다." if status == "failed" else None,
                "cancel_reason": None,
                "receipt_url": "",
                "cancel_history": [],
            }
            self.payments[imp_uid] = payment
            self.latest[merchant_uid] = imp_uid
            answer = _ok(dict(payment))
        if status == "paid":  # PortOne sends no webhook for a failed payment
            self.notify(payment)
        return answer

    def console_cancel(self, body: dict) -> Answer:
        answer = self.cancel({k: v for k, v in body.items() if k != "checksum"})
        if answer[1] == 0:
            self.notify(answer[3])
        return answer

    def configure(self, body: dict) -> Answer:
        with self.lock:
            if "delay" in body:
                self.delay = max(float(body["delay"] or 0), 0.0)
            if "outage" in body:
                self.outage = int(body["outage"] or 0)
            if "outage_on" in body:
                self.outage_on = {str(path): int(code) for path, code in (body["outage_on"] or {}).items()}
            if "lost_answers" in body:
                self.lost_answers = {str(path): float(after) for path, after in (body["lost_answers"] or {}).items()}
            return _ok(
                {
                    "delay": self.delay,
                    "outage": self.outage,
                    "outage_on": self.outage_on,
                    "lost_answers": self.lost_answers,
                }
            )

    def faults(self, path: str) -> tuple[float, int, float]:
        """(delay before, outage status, delay after the call is carried out) for one API path."""
        with self.lock:
            outage = self.outage or next((c for p, c in self.outage_on.items() if path.startswith(p)), 0)
            lost = next((s for p, s in self.lost_answers.items() if path.startswith(p)), 0.0)
            return self.delay, outage, lost

    def notify(self, payment: dict) -> None:
        if not self.webhook_url:
            return
        body = {key: payment[key] for key in ("imp_uid", "merchant_uid", "status")}
        threading.Thread(target=self._post_webhook, args=(body,), daemon=True).start()

    def _post_webhook(self, body: dict) -> None:
        request = urllib.request.Request(
            self.webhook_url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                logger.info("webhook %s → %s", body, response.status)
        except OSError as exc:
            logger.warning("webhook %s failed: %s", body, exc)


class _Handler(BaseHTTPRequestHandler):
    server: "SandboxServer"
    server_version = "PortOneSandbox/1"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        if "application/x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            return {key: values[-1] for key, values in parse_qs(raw.decode()).items()}
        try:
            body = json.loads(raw)
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def _dispatch(self, method: str) -> None:
        state = self.server.state
        path = unquote(urlsplit(self.path).path)
        body = self._body() if method == "POST" else {}
        if path.startswith("/sandbox/"):
            answer = self._control(method, path, body)
        else:
            delay, outage, lost = state.faults(path)
            if delay:
                time.sleep(delay)
            answer = (outage, -1, HTTPStatus(outage).phrase, None) if outage else self._api(method, path, body)
            if lost:
                time.sleep(lost)
        status, code, message, response = answer
        payload = json.dumps({"code": code, "message": message, "response": response}, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _api(self, method: str, path: str, body: dict) -> Answer:
        state = self.server.state
        if (method, path) == ("POST", "/users/getToken"):
            return state.get_token(body)
        if not state.authorized(self.headers.get("Authorization") or ""):
            return 401, -1, "Unauthorized", None
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["payments", "prepare"]:
            return state.prepare(body)
        if method == "POST" and parts == ["payments", "cancel"]:
            return state.cancel(body)
        if method == "GET" and len(parts) == 3 and parts[:2] == ["payments", "prepare"]:
            return state.get_prepared(parts[2])
        if method == "GET" and len(parts) in (3, 4) and parts[:2] == ["payments", "find"]:
            return state.find_payment(parts[2])
        if method == "GET" and len(parts) == 2 and parts[0] == "payments":
            return state.get_payment(parts[1])
        return 404, -1, f"No sandbox route for {method} {path}", None

    def _control(self, method: str, path: str, body: dict) -> Answer:
        state = self.server.state
        if method != "POST":
            return 405, -1, "Method Not Allowed", None
        if path == "/sandbox/pay":
            return state.pay(body)
        if path == "/sandbox/cancel":
            return state.console_cancel(body)
        if path == "/sandbox/config":
            return state.configure(body)
        if path == "/sandbox/reset":
            state.reset()
            return _ok(None)
        return 404, -1, f"No sandbox route for {path}", None

    def log_message(self, format: str, *args) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 overflowed when 20 racing completes each opened their
    # connections at once on a loaded machine: the kernel reset some, and the app rightly answered
    # 503 (PortOne unreachable) where the race test expects PortOne to be there.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: SandboxState) -> None:
        super().__init__(address, _Handler)
        self.state = state

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def handle_error(self, request, client_address) -> None:
        # A client that timed out closed its socket before a delayed answer: expected, not an error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def start_sandbox(
    *, api_key: str, api_secret: str, host: str = "127.0.0.1", port: int = 0, webhook_url: str = ""
) -> SandboxServer:
    """Serve the sandbox from a daemon thread (port 0: any free port; read it from `server.url`)."""
    server = SandboxServer((host, port), SandboxState(api_key=api_key, api_secret=api_secret, webhook_url=webhook_url))
    threading.Thread(target=server.serve_forever, name="portone-sandbox", daemon=True).start()
    return server

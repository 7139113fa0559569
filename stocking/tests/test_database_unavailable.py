"""A lost or unavailable database answers 503 in the API's error shape, writes nothing, and the app
recovers by itself once the database is back.

The failures are real: the default alias is pointed at a database that is not there (a refused TCP
port on MySQL, a file in a missing directory on SQLite), or, on MariaDB, the server kills the
request's connection in the middle of a money transaction, or another connection holds the row lock
until the lock wait times out on every retry.
"""

import copy
import socket
from contextlib import ExitStack, contextmanager, suppress
from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, DatabaseError, close_old_connections, connection, connections, transaction
from django.test import Client

from portfolio.audit import run_audit
from portfolio.models import Balance, CashLedgerEntry, Position
from stocking.core.database_unavailable import is_database_unavailable
from stocking.tests.threads import mysql_only
from trading.models import Execution, Order

User = get_user_model()
UNAVAILABLE = {"detail": "The database is unavailable; try again shortly.", "code": "database_unavailable"}


@contextmanager
def database_unreachable(tmp_path):
    """Swap the default alias for one whose driver really fails to connect; restore it afterwards."""
    original = connections[DEFAULT_DB_ALIAS]
    settings_dict = copy.deepcopy(original.settings_dict)
    with ExitStack() as stack:
        if original.vendor == "mysql":
            # Bound but never listening: connections are refused, and no other process can take the port.
            closed = stack.enter_context(socket.socket())
            closed.bind(("127.0.0.1", 0))
            settings_dict.update(HOST="127.0.0.1", PORT=str(closed.getsockname()[1]))
        else:
            settings_dict["NAME"] = str(tmp_path / "no-such-directory" / "db.sqlite3")
        broken = original.__class__(settings_dict, alias=DEFAULT_DB_ALIAS)
        connections[DEFAULT_DB_ALIAS] = broken
        try:
            yield
        finally:
            broken.close()
            connections[DEFAULT_DB_ALIAS] = original


def assert_unavailable_json(response):
    assert response.status_code == 503, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == "5"


@pytest.mark.django_db
class TestUnreachableDatabase:
    def test_an_authenticated_api_request_answers_503_json(self, auth_client, tmp_path):
        with database_unreachable(tmp_path):
            assert_unavailable_json(auth_client.get("/api/v1/balance"))

    def test_a_public_api_request_answers_503_json(self, api_client, tmp_path):
        with database_unreachable(tmp_path):
            assert_unavailable_json(api_client.get("/api/v1/stocks"))

    def test_a_deposit_answers_503_writes_nothing_and_succeeds_once_the_database_is_back(
        self, auth_client, user, tmp_path
    ):
        before = Balance.objects.get(user=user).cash
        with database_unreachable(tmp_path):
            assert_unavailable_json(auth_client.post("/api/v1/balance/deposit", {"amount": "5000"}, format="json"))
        assert Balance.objects.get(user=user).cash == before
        assert not CashLedgerEntry.objects.filter(user=user, kind="deposit").exists()

        response = auth_client.post("/api/v1/balance/deposit", {"amount": "5000"}, format="json")
        assert response.status_code == 201
        assert Balance.objects.get(user=user).cash == before + D("5000")

    def test_healthz_answers_503(self, tmp_path):
        with database_unreachable(tmp_path):
            response = Client().get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"] == "unavailable"
        assert Client().get("/healthz").status_code == 200

    def test_a_page_answers_a_plain_503_page(self, tmp_path):
        client = Client(raise_request_exception=False)
        with database_unreachable(tmp_path):
            response = client.get("/")  # the landing page lists the market's movers
        assert response.status_code == 503
        assert response["Content-Type"].startswith("text/html")
        assert "잠시 후 다시 시도해 주세요" in response.content.decode()

    def test_a_logged_in_page_answers_503_when_a_middleware_meets_the_outage(self, user, tmp_path):
        # The session (hence the user and their language) is read in a middleware, before any view.
        client = Client(raise_request_exception=False)
        client.force_login(user)
        with database_unreachable(tmp_path):
            response = client.get("/")
        assert response.status_code == 503
        assert "잠시 후 다시 시도해 주세요" in response.content.decode()
        assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_a_bad_query_is_not_mistaken_for_an_outage():
    # No such table is our bug (a 500 that must be looked at), not a reason to tell clients to retry.
    with pytest.raises(Exception) as raised, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    assert not is_database_unavailable(raised.value)


# --- MariaDB: the server itself drops the connection or times out the lock


def connection_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        return cursor.fetchone()[0]


def kill(connection_ids) -> None:
    killer = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with killer.cursor() as cursor:
            for victim in connection_ids:
                cursor.execute("KILL CONNECTION %s", [victim])
    finally:
        killer.close()


@contextmanager
def killed_after(statement_prefix: str):
    """The server kills this thread's connection right after the first statement starting with the prefix."""
    victim = connection_id()
    state = {"killed": False}

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not state["killed"] and sql.startswith(statement_prefix):
            state["killed"] = True
            kill([victim])
        return result

    with connection.execute_wrapper(wrapper):
        yield state
    assert state["killed"], f"no statement started with {statement_prefix!r}"


@mysql_only
@pytest.mark.django_db(transaction=True)
class TestMariaDBFailures:
    def test_a_connection_killed_between_the_balance_update_and_the_ledger_entry_writes_nothing(
        self, auth_client, user
    ):
        before = Balance.objects.get(user=user)
        entries = CashLedgerEntry.objects.filter(user=user).count()
        with killed_after("UPDATE `portfolio_balance`"):
            response = auth_client.post("/api/v1/balance/deposit", {"amount": "5000"}, format="json")
        assert_unavailable_json(response)
        assert Balance.objects.get(user=user).cash == before.cash
        assert CashLedgerEntry.objects.filter(user=user).count() == entries
        assert run_audit().ok

        # The next request gets a new connection without any restart.
        assert auth_client.post("/api/v1/balance/deposit", {"amount": "5000"}, format="json").status_code == 201

    def test_a_connection_killed_after_a_fill_is_written_leaves_no_order_fill_or_position(
        self, auth_client, user, stock
    ):
        before = Balance.objects.get(user=user)
        with killed_after("INSERT INTO `trading_execution`"):
            response = auth_client.post(
                "/api/v1/orders",
                {"stock": stock.code, "side": "buy", "order_type": "market", "quantity": 3, "client_order_id": "k-1"},
                format="json",
            )
        assert_unavailable_json(response)
        assert not Order.objects.filter(user=user).exists()
        assert not Execution.objects.exists()
        assert not Position.objects.filter(user=user).exists()
        after = Balance.objects.get(user=user)
        assert (after.cash, after.reserved_cash) == (before.cash, before.reserved_cash)
        assert run_audit().ok

        # Retrying with the same client_order_id is safe: the first attempt left nothing behind.
        retry = auth_client.post(
            "/api/v1/orders",
            {"stock": stock.code, "side": "buy", "order_type": "market", "quantity": 3, "client_order_id": "k-1"},
            format="json",
        )
        assert retry.status_code == 201 and retry.json()["status"] == "filled"

    def test_a_lock_wait_timeout_on_every_retry_answers_503(self, auth_client, user, monkeypatch):
        monkeypatch.setattr("stocking.core.db.MAX_ATTEMPTS", 2)
        holder = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with holder.cursor() as cursor:
                cursor.execute("START TRANSACTION")
                cursor.execute("SELECT id FROM portfolio_balance WHERE user_id = %s FOR UPDATE", [user.pk])
            with connection.cursor() as cursor:
                cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
            assert_unavailable_json(auth_client.post("/api/v1/balance/deposit", {"amount": "5000"}, format="json"))
            with holder.cursor() as cursor:
                cursor.execute("ROLLBACK")
            assert auth_client.post("/api/v1/balance/deposit", {"amount": "5000"}, format="json").status_code == 201
        finally:
            holder.close()
            connection.close()  # drop the 1-second lock wait with the session
        assert CashLedgerEntry.objects.filter(user=user, kind="deposit").count() == 1


def serve(client, method, path, *args, **kwargs):
    """One request as a server runs it: Django's handler closes unusable or obsolete connections at the
    start and the end of every request (the test client skips that)."""
    close_old_connections()
    response = getattr(client, method)(path, *args, **kwargs)
    close_old_connections()
    return response


@mysql_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_left_in_a_broken_transaction_state_is_replaced_at_the_next_request(auth_client, user):
    # The server dies between a COMMIT and Django's `SET autocommit=1`, and the caller swallows the
    # error (as the database cache, hence every throttled request, does). The next atomic block
    # then takes Django's "autocommit is already off" path, its SAVEPOINT fails on the dead socket,
    # and the connection stays flagged "in a transaction" with nothing to clear the flag: without
    # the middleware, every later request on that thread is a 500 until the process restarts.
    victim = connection_id()
    raw = connection.connection
    restore_autocommit = raw.autocommit

    def autocommit(on):
        if on:
            kill([victim])  # after the COMMIT, before autocommit is back on
        return restore_autocommit(on)

    raw.autocommit = autocommit
    with suppress(DatabaseError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(display_name="committed")
    with suppress(DatabaseError), transaction.atomic():
        pass
    assert connection.in_atomic_block and not connection.atomic_blocks, "the broken state was not reached"

    for _ in range(2):  # without the repair the first is a 503 and every later one a 500
        assert serve(auth_client, "get", "/api/v1/balance").status_code == 200
    assert serve(auth_client, "post", "/api/v1/balance/deposit", {"amount": "5000"}, format="json").status_code == 201
    assert User.objects.get(pk=user.pk).display_name == "committed"


@mysql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("health_checks", "first_status"), [(True, 200), (False, 503)])
def test_a_persistent_connection_the_server_dropped_is_replaced(api_client, stock, health_checks, first_status):
    # Persistent connections (CONN_MAX_AGE) outlive requests; after a database restart each one is dead.
    # With health checks the next request replaces it; without, that request answers 503 (not 500)
    # and the one after it works: the server recovers by itself either way.
    saved = {key: connection.settings_dict[key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    connection.close()
    connection.settings_dict.update(CONN_MAX_AGE=600, CONN_HEALTH_CHECKS=health_checks)
    try:
        assert serve(api_client, "get", "/api/v1/stocks").status_code == 200
        persistent = connection_id()
        assert serve(api_client, "get", "/api/v1/stocks").status_code == 200 and connection_id() == persistent
        kill([persistent])

        first = serve(api_client, "get", "/api/v1/stocks")
        assert first.status_code == first_status, first.content
        if first_status == 503:
            assert first.json() == UNAVAILABLE
        assert serve(api_client, "get", "/api/v1/stocks").status_code == 200
        assert connection_id() != persistent
    finally:
        connection.settings_dict.update(saved)
        connection.close()

"""Back office: the review queue, search, read-only rows, and the refund / re-sync actions through the
services; non-staff get nothing, and the changelist costs the same queries for any number of rows."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from payments import gateway
from payments.models import Payment, PaymentStatus
from payments.services import payment_complete, payment_sync
from payments.tests.helpers import console_cancel, gateway_status, paid, prepared, refunds, topups
from portfolio.models import Balance
from portfolio.services import balance_withdraw
from portfolio.tests.helpers import assert_books_balance

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:payments_payment_changelist")


def staff_client(*, superuser: bool = True, perms: tuple[str, ...] = ()) -> tuple[Client, object]:
    staff = UserFactory(username="staff" if superuser else "viewer")
    staff.is_staff, staff.is_superuser = True, superuser
    staff.save(update_fields=["is_staff", "is_superuser"])
    for codename in perms:
        staff.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(staff)
    return client, staff


@pytest.fixture
def admin_http() -> Client:
    return staff_client()[0]


def credited(user, amount: str = "10000") -> Payment:
    payment, imp_uid = paid(user, amount)
    return payment_complete(user=user, imp_uid=imp_uid, merchant_uid=payment.merchant_uid)


def act(client: Client, action: str, *payments: Payment):
    body = {"action": action, "_selected_action": [p.pk for p in payments]}
    return client.post(CHANGELIST, body, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_review_queue_search_and_change_page(admin_http, user):
    alice = UserFactory(username="alice")
    tampered, imp_uid = paid(alice, "10000", paid_amount="10")
    payment_sync(imp_uid=imp_uid)  # the webhook: cancelled at PortOne, flagged
    ok = credited(user)
    prepared(user)
    queue = admin_http.get(CHANGELIST, {"queue": "review"})
    assert queue.status_code == 200
    assert [p.pk for p in queue.context["cl"].result_list] == [tampered.pk]
    assert "Needs review (1)" in queue.content.decode()
    by_status = admin_http.get(CHANGELIST, {"status__exact": PaymentStatus.NEEDS_REVIEW})
    assert [p.pk for p in by_status.context["cl"].result_list] == [tampered.pk]
    for term, expected in ((ok.merchant_uid, ok.pk), (ok.imp_uid, ok.pk), ("alic", tampered.pk)):
        found = admin_http.get(CHANGELIST, {"q": term}).context["cl"].result_list
        assert [p.pk for p in found] == [expected], term
    page = admin_http.get(reverse("admin:payments_payment_change", args=[ok.pk]))
    assert page.status_code == 200 and ok.merchant_uid in page.content.decode()


def test_payments_cannot_be_added_changed_or_deleted(admin_http, user):
    payment = credited(user)
    assert admin_http.get(reverse("admin:payments_payment_add")).status_code == 403
    assert admin_http.get(reverse("admin:payments_payment_delete", args=[payment.pk])).status_code == 403
    change = reverse("admin:payments_payment_change", args=[payment.pk])
    assert admin_http.post(change, {"status": "refunded", "amount": "1"}).status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID


def test_the_changelist_query_count_does_not_grow_with_rows(admin_http, user):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_http.get(CHANGELIST).status_code == 200
        return len(queries)

    for _ in range(2):
        prepared(UserFactory())
    few = count()
    for _ in range(6):
        credited(UserFactory())
    assert count() == few


def test_refund_action_refunds_in_full_through_portone_and_the_ledger(user):
    client, staff = staff_client()
    payment = credited(user)
    untouched = prepared(user)
    response = act(client, "refund_in_full", payment, untouched)
    assert "Refunded 1 payment." in messages_of(response)
    assert any(untouched.merchant_uid in m for m in messages_of(response))  # not credited: refused, listed
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and gateway_status(payment.imp_uid) == "cancelled"
    assert refunds(user) == [D("-10000")]
    assert payment.refunds.get().created_by == staff
    assert_books_balance()


def test_resync_action_applies_what_portone_reports(admin_http, user):
    payment = credited(user)
    console_cancel(payment.imp_uid, amount=4000)
    response = act(admin_http, "resync_from_portone", payment)
    assert f"{payment.merchant_uid}: paid → partially_refunded" in messages_of(response)
    assert refunds(user) == [D("-4000")]
    assert_books_balance()


def test_resync_action_reports_gateway_errors(admin_http, user, sandbox):
    payment, _ = paid(user)
    sandbox.configure({"outage": 503})
    response = act(admin_http, "resync_from_portone", payment)
    assert any("unavailable" in m for m in messages_of(response))
    assert topups(user) == []


def test_staff_without_change_permission_see_payments_but_get_no_actions(user):
    viewer, _ = staff_client(superuser=False, perms=("view_payment",))
    payment = credited(user)
    page = viewer.get(CHANGELIST)
    assert page.status_code == 200
    assert "refund_in_full" not in page.content.decode() and "resync_from_portone" not in page.content.decode()
    act(viewer, "refund_in_full", payment)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and refunds(user) == []


def test_non_staff_get_nothing(user):
    payment = credited(user)
    client = Client()
    client.force_login(UserFactory(username="mallory"))
    assert client.get(CHANGELIST).status_code == 302
    response = client.post(CHANGELIST, {"action": "refund_in_full", "_selected_action": [payment.pk]})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and refunds(user) == []
    assert Client().get(CHANGELIST).status_code == 302


def test_close_review_closes_a_cancelled_tampered_payment_and_refuses_what_portone_still_holds(admin_http, user):
    cancelled, cancelled_imp = paid(user, "10000", paid_amount="10")
    payment_sync(imp_uid=cancelled_imp)  # cancelled at PortOne, flagged
    held, held_imp = paid(user, "10000", paid_amount="20")
    Payment.objects.filter(pk=held.pk).update(
        status=PaymentStatus.NEEDS_REVIEW, imp_uid=held_imp, review_reason="amount_mismatch"
    )  # as if the cancel at PortOne had failed
    spent = credited(user)
    Payment.objects.filter(pk=spent.pk).update(status=PaymentStatus.NEEDS_REVIEW, review_reason="cash_unavailable")
    response = act(admin_http, "close_review", cancelled, held, spent)
    found = messages_of(response)
    assert f"{cancelled.merchant_uid}: closed as cancelled" in found
    assert any(held.merchant_uid in m and "still reports this payment paid" in m for m in found)
    assert any(spent.merchant_uid in m and "uncredited" in m for m in found)
    statuses = dict(Payment.objects.values_list("pk", "status"))
    assert statuses[cancelled.pk] == PaymentStatus.CANCELLED
    assert statuses[held.pk] == statuses[spent.pk] == PaymentStatus.NEEDS_REVIEW
    assert "closed by staff" in Payment.objects.get(pk=cancelled.pk).review_note
    queue = admin_http.get(CHANGELIST, {"queue": "review"}).context["cl"].result_list
    assert sorted(p.pk for p in queue) == [held.pk, spent.pk]


def partial_refund(client: Client, payment: Payment, **form):
    body = {"action": "refund_partially", "_selected_action": [payment.pk]}
    if form:
        body.update(apply="1", **form)
    return client.post(CHANGELIST, body, follow=True)


def test_partial_refund_shows_a_form_then_refunds_that_amount_through_portone_and_the_ledger(user):
    client, staff = staff_client()
    payment = credited(user)
    page = partial_refund(client, payment)
    assert page.status_code == 200 and page.templates[0].name == "admin/payments/payment/partial_refund.html"
    html = page.content.decode()
    assert payment.merchant_uid in html and 'name="amount"' in html and 'name="reason"' in html
    assert refunds(user) == [], "showing the form refunds nothing"
    response = partial_refund(client, payment, amount="3000", reason="customer asked for part")
    assert any("refunded 3,000 KRW" in m and "partially refunded" in m for m in messages_of(response))
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, D("3000"))
    assert gateway.find(imp_uid=payment.imp_uid).cancel_amount == D("3000")
    refund = payment.refunds.get()
    assert (refund.amount, refund.virtual_amount, refund.reason, refund.created_by) == (
        D("3000"),
        D("3000"),
        "customer asked for part",
        staff,
    )
    assert refunds(user) == [D("-3000")]
    partial_refund(client, payment, amount="7000", reason="the rest")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and refunds(user) == [D("-3000"), D("-7000")]
    assert_books_balance()


def test_partial_refund_takes_back_virtual_cash_at_the_payments_own_rate(user, settings):
    settings.VIRTUAL_CASH_PER_KRW = D("1.5")
    client, _ = staff_client()
    payment = credited(user, "3000")  # 4,500 virtual
    settings.VIRTUAL_CASH_PER_KRW = D("3")
    partial_refund(client, payment, amount="1001", reason="part")
    assert refunds(user) == [D("-1501.50")]
    assert_books_balance()


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"amount": "0", "reason": "x"}, "amount"),
        ({"amount": "-100", "reason": "x"}, "amount"),
        ({"amount": "1000.5", "reason": "x"}, "amount"),
        ({"amount": "abc", "reason": "x"}, "amount"),
        ({"amount": "1000", "reason": ""}, "reason"),
        ({"amount": "1000", "reason": "   "}, "reason"),
    ],
)
def test_partial_refund_form_refuses_bad_input_and_refunds_nothing(user, form, field):
    client, _ = staff_client()
    payment = credited(user)
    response = partial_refund(client, payment, **form)
    assert response.templates[0].name == "admin/payments/payment/partial_refund.html"
    assert list(response.context["form"].errors) == [field]
    assert 'class="errorlist' in response.content.decode()
    assert refunds(user) == [] and gateway.find(imp_uid=payment.imp_uid).cancel_amount == 0


def test_partial_refund_errors_from_the_service_are_admin_messages(user):
    client, _ = staff_client()
    payment = credited(user)
    too_much = partial_refund(client, payment, amount="10001", reason="x")
    assert any("At most 10,000 won" in m for m in messages_of(too_much))
    balance_withdraw(user=user, amount=Balance.objects.get(user=user).cash - D("500"))
    spent = partial_refund(client, payment, amount="1000", reason="x")
    assert any("takes back 1,000" in m for m in messages_of(spent))
    assert refunds(user) == [] and gateway.find(imp_uid=payment.imp_uid).cancel_amount == 0
    assert_books_balance()


def test_partial_refund_needs_exactly_one_refundable_payment(user):
    client, _ = staff_client()
    first, second = credited(user), credited(user)
    both = client.post(
        CHANGELIST,
        {"action": "refund_partially", "_selected_action": [first.pk, second.pk], "apply": "1", "amount": "1000"},
        follow=True,
    )
    assert "Select exactly one payment for a partial refund." in messages_of(both)
    unpaid = prepared(user)
    refused = partial_refund(client, unpaid)
    assert any(unpaid.merchant_uid in m and "not refundable" in m for m in messages_of(refused))
    assert refunds(user) == []


def test_partial_refund_is_refused_to_staff_without_change_permission_and_to_non_staff(user):
    viewer, _ = staff_client(superuser=False, perms=("view_payment",))
    payment = credited(user)
    assert "refund_partially" not in viewer.get(CHANGELIST).content.decode()
    partial_refund(viewer, payment, amount="1000", reason="x")
    mallory = Client()
    mallory.force_login(UserFactory(username="mallory"))
    assert partial_refund(mallory, payment, amount="1000", reason="x").redirect_chain[0][1] == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID and refunds(user) == []
    assert gateway.find(imp_uid=payment.imp_uid).cancel_amount == 0


def test_staff_with_change_permission_can_refund_partially(user):
    agent, agent_user = staff_client(superuser=False, perms=("view_payment", "change_payment"))
    payment = credited(user)
    partial_refund(agent, payment, amount="2500", reason="goodwill")
    assert refunds(user) == [D("-2500")] and payment.refunds.get().created_by == agent_user
    assert_books_balance()

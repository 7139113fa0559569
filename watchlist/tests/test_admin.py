import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import UserFactory
from trading.tests.factories import StockFactory
from watchlist.models import Watchlist
from watchlist.services import watchlist_add_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client():
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    return client


def test_staff_read_watchlists_with_a_constant_number_of_queries(staff_client, django_assert_max_num_queries):
    url = reverse("admin:watchlist_watchlist_changelist")
    staff_client.get(url)
    for i in range(20):
        user = UserFactory()
        watchlist_add_stock(
            user=user,
            watchlist_id=Watchlist.objects.get(user=user).pk,
            stock_code=StockFactory(code=f"{600000 + i:06d}").code,
        )
    with django_assert_max_num_queries(8):
        response = staff_client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("관심종목") >= 20


def test_a_watchlist_page_shows_its_items_and_cannot_be_edited(staff_client, user):
    stock = StockFactory(code="005930", name="삼성전자")
    watchlist = Watchlist.objects.get(user=user)
    watchlist_add_stock(user=user, watchlist_id=watchlist.pk, stock_code=stock.code, memo="메모")
    response = staff_client.get(reverse("admin:watchlist_watchlist_change", args=[watchlist.pk]))
    assert response.status_code == 200
    assert "메모" in response.content.decode()
    response = staff_client.post(reverse("admin:watchlist_watchlist_change", args=[watchlist.pk]), {"name": "x"})
    assert response.status_code == 403
    assert Watchlist.objects.get(pk=watchlist.pk).name == "관심종목"


def test_non_staff_get_nothing(user):
    client = Client()
    client.force_login(user)
    response = client.get(reverse("admin:watchlist_watchlist_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]

from decimal import Decimal

import factory

from trading.models import Market, PriceBar, Stock


class StockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stock
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{900000 + n:06d}")
    name = factory.Sequence(lambda n: f"Test Corp {n}")
    market = Market.KOSPI
    sector = "전기전자"
    current_price = Decimal("10000")
    previous_close = factory.LazyAttribute(lambda o: o.current_price)
    day_open = factory.LazyAttribute(lambda o: o.current_price)
    day_high = factory.LazyAttribute(lambda o: o.current_price)
    day_low = factory.LazyAttribute(lambda o: o.current_price)


class PriceBarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceBar

    stock = factory.SubFactory(StockFactory)
    interval = PriceBar.Interval.DAY
    start = factory.Faker("date_time", tzinfo=__import__("datetime").timezone.utc)
    open = Decimal("10000")
    high = Decimal("10100")
    low = Decimal("9900")
    close = Decimal("10050")
    volume = 1000

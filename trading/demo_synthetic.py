"""A made-up universe beyond the 65 real stocks, so the engine and the overview can be measured at
KRX's size (about 2,700 listings): `seed_demo --stocks 2700`.

Each synthetic stock depends only on its position (its own random stream), so a larger run keeps
the stocks a smaller one created and adds the rest. Codes start at 800000, clear of the demo's.
Markets, sectors, prices, market caps and float ratios follow rough KRX shapes: about a third on
KOSPI with larger caps, the rest on KOSDAQ; prices log-normal around 15,000 won on the tick grid.
"""

import math
import random
from decimal import Decimal

from trading import krx
from trading.demo_data import DEMO_STOCKS, DemoStock
from trading.models import Market
from trading.sectors import Sector

FIRST_CODE = 800_000
KOSPI_SHARE = 0.35
# Sector mix by market: (sector, weight), roughly KRX's listing counts.
SECTOR_WEIGHTS = {
    Market.KOSPI: [
        (Sector.ELECTRONICS, 12),
        (Sector.CHEMICALS, 11),
        (Sector.MACHINERY, 8),
        (Sector.TRANSPORT_EQUIPMENT, 9),
        (Sector.DISTRIBUTION, 8),
        (Sector.SERVICES, 8),
        (Sector.PHARMA, 6),
        (Sector.FOOD, 5),
        (Sector.METALS, 5),
        (Sector.FINANCE, 4),
        (Sector.CONSTRUCTION, 4),
        (Sector.TEXTILES, 3),
        (Sector.NON_METALLIC, 2),
        (Sector.PAPER, 2),
        (Sector.LOGISTICS, 2),
        (Sector.UTILITIES, 1),
        (Sector.TELECOM, 1),
        (Sector.INSURANCE, 1),
        (Sector.SECURITIES, 2),
        (Sector.BANKS, 1),
        (Sector.MEDICAL, 2),
        (Sector.MANUFACTURING, 3),
    ],
    Market.KOSDAQ: [
        (Sector.ELECTRONICS, 18),
        (Sector.PHARMA, 12),
        (Sector.SERVICES, 14),
        (Sector.MACHINERY, 9),
        (Sector.CHEMICALS, 7),
        (Sector.MEDICAL, 7),
        (Sector.MANUFACTURING, 8),
        (Sector.DISTRIBUTION, 5),
        (Sector.METALS, 3),
        (Sector.TRANSPORT_EQUIPMENT, 4),
        (Sector.FOOD, 3),
        (Sector.CONSTRUCTION, 2),
        (Sector.FINANCE, 2),
        (Sector.TELECOM, 1),
        (Sector.TEXTILES, 1),
        (Sector.NON_METALLIC, 1),
        (Sector.PAPER, 1),
        (Sector.LOGISTICS, 1),
    ],
}
# Median market cap (won) and its log-normal spread, by market.
CAPS = {Market.KOSPI: (400_000_000_000, 1.3), Market.KOSDAQ: (120_000_000_000, 1.0)}
PREFIXES = (
    "대한", "한국", "동양", "신성", "삼화", "미래", "세종", "한빛", "대성", "동방", "태평", "금호", "성원", "영진",
    "우진", "대림", "한일", "서울", "부산", "경인", "중앙", "태광", "동화", "일신", "세원", "한양", "신한", "청담",
    "광명", "한솔", "유니", "에이스", "넥스", "코리아", "글로벌", "퓨처", "그린", "하이", "스마트", "뉴",
)  # fmt: skip
SUFFIXES = {
    Sector.FOOD: ("식품", "제과", "푸드"),
    Sector.TEXTILES: ("방직", "섬유", "패션"),
    Sector.PAPER: ("제지", "목재", "페이퍼"),
    Sector.CHEMICALS: ("화학", "케미칼", "소재"),
    Sector.PHARMA: ("제약", "바이오", "파마"),
    Sector.NON_METALLIC: ("시멘트", "유리", "세라믹"),
    Sector.METALS: ("철강", "금속", "스틸"),
    Sector.MACHINERY: ("기계", "중공업", "로보틱스"),
    Sector.ELECTRONICS: ("전자", "반도체", "디스플레이", "테크"),
    Sector.MEDICAL: ("메디칼", "정밀", "헬스케어"),
    Sector.TRANSPORT_EQUIPMENT: ("모터스", "오토텍", "조선"),
    Sector.DISTRIBUTION: ("상사", "유통", "물산"),
    Sector.UTILITIES: ("에너지", "가스", "전력"),
    Sector.CONSTRUCTION: ("건설", "개발", "엔지니어링"),
    Sector.LOGISTICS: ("해운", "로지스", "물류"),
    Sector.TELECOM: ("통신", "텔레콤", "네트웍스"),
    Sector.FINANCE: ("금융", "캐피탈", "홀딩스"),
    Sector.BANKS: ("은행",),
    Sector.SECURITIES: ("증권", "투자증권"),
    Sector.INSURANCE: ("생명", "화재", "손해보험"),
    Sector.SERVICES: ("소프트", "엔터", "게임즈", "플랫폼"),
    Sector.MANUFACTURING: ("산업", "공업", "제작소"),
}


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    sectors, weights = zip(*weighted, strict=True)
    return rng.choices(sectors, weights=weights)[0]


def synthetic_stock(position: int) -> DemoStock:
    """The `position`-th synthetic stock (0-based): the same stock every run."""
    rng = random.Random(f"stocking-synthetic:{position}")
    market = Market.KOSPI if rng.random() < KOSPI_SHARE else Market.KOSDAQ
    sector = _pick(rng, SECTOR_WEIGHTS[market])
    price = krx.round_to_tick(Decimal(f"{min(1_500_000, max(500, 15_000 * math.exp(rng.gauss(0, 1.0)))):.4f}"))
    median, spread = CAPS[market]
    cap = median * math.exp(rng.gauss(0, spread))
    shares = max(100_000, round(cap / float(price), -3))
    suffixes = SUFFIXES[sector]
    name = PREFIXES[position % len(PREFIXES)] + suffixes[(position // len(PREFIXES)) % len(suffixes)]
    low, high = (0.015, 0.035) if market == Market.KOSPI else (0.02, 0.05)
    return DemoStock(
        code=f"{FIRST_CODE + position:06d}",
        name=name,
        market=market,
        theme=sector,
        price=str(price),
        volatility=f"{rng.uniform(low, high):.4f}",
        listed_shares=int(shares),
        float_ratio=f"{rng.uniform(20, 90):.1f}",
    )


def demo_universe(stocks: int | None = None) -> tuple[DemoStock, ...]:
    """The first `stocks` of the universe: the real stocks first, then synthetic ones."""
    if stocks is None:
        return DEMO_STOCKS
    if stocks <= len(DEMO_STOCKS):
        return DEMO_STOCKS[:stocks]
    return DEMO_STOCKS + tuple(synthetic_stock(n) for n in range(stocks - len(DEMO_STOCKS)))

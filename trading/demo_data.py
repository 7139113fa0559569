"""The demo universe and demo users `manage.py seed_demo` loads. Data only; trading.services.seeding acts on it.

Codes, names and markets are the real KRX listings; each stock's theme (반도체, 2차전지, ...) maps
onto its KRX industry group through trading.sectors.THEME_SECTORS. Prices are plausible late-2026
levels for a paper-trading demo, not quotes; each is on the KRX tick grid. `volatility` is the daily
σ of log returns the seeded random walk (and the market simulator) uses. Listed shares and float
ratios are close to the real ones, rounded.
"""

from dataclasses import dataclass

from trading.models import Market, OrderSide, OrderType, TimeInForce
from trading.sectors import THEME_SECTORS


@dataclass(frozen=True)
class DemoStock:
    code: str
    name: str
    market: str
    theme: str
    price: str
    volatility: str
    listed_shares: int
    float_ratio: str

    @property
    def sector(self) -> str:
        return THEME_SECTORS.get(self.theme, self.theme)


@dataclass(frozen=True)
class DemoOrder:
    """One order a demo user places. Buys are sized by `budget` (won), sells by `quantity` (capped at
    what the user holds); a limit order's price is the current price moved by `limit_offset`."""

    code: str
    side: str
    order_type: str = OrderType.MARKET
    budget: str = ""
    quantity: int = 0
    limit_offset: str = ""
    time_in_force: str = TimeInForce.GTC

    @property
    def client_order_id(self) -> str:
        # Stable across runs, so a re-run finds the order instead of placing it twice.
        return f"seed-{self.code}-{self.side}-{self.order_type}"


@dataclass(frozen=True)
class DemoUser:
    username: str
    email: str
    password: str
    orders: tuple[DemoOrder, ...]
    display_name: str = ""
    watching: tuple[str, ...] = ()  # codes on the default watchlist


KOSPI, KOSDAQ = Market.KOSPI, Market.KOSDAQ

DEMO_STOCKS: tuple[DemoStock, ...] = (
    DemoStock("005930", "삼성전자", KOSPI, "반도체", "98500", "0.0180", 5_919_637_922, "76.0"),
    DemoStock("000660", "SK하이닉스", KOSPI, "반도체", "585000", "0.0280", 728_002_365, "75.0"),
    DemoStock("042700", "한미반도체", KOSPI, "반도체장비", "126400", "0.0360", 95_300_000, "55.0"),
    DemoStock("373220", "LG에너지솔루션", KOSPI, "2차전지", "412000", "0.0250", 234_000_000, "18.0"),
    DemoStock("006400", "삼성SDI", KOSPI, "2차전지", "271500", "0.0280", 76_000_000, "78.0"),
    DemoStock("003670", "포스코퓨처엠", KOSPI, "2차전지", "184700", "0.0320", 77_463_220, "35.0"),
    DemoStock("207940", "삼성바이오로직스", KOSPI, "바이오", "1124000", "0.0180", 71_174_000, "25.0"),
    DemoStock("068270", "셀트리온", KOSPI, "바이오", "183400", "0.0210", 216_900_000, "70.0"),
    DemoStock("000100", "유한양행", KOSPI, "제약", "108900", "0.0260", 80_000_000, "80.0"),
    DemoStock("005380", "현대차", KOSPI, "자동차", "262500", "0.0200", 204_757_766, "68.0"),
    DemoStock("000270", "기아", KOSPI, "자동차", "118900", "0.0190", 393_000_000, "60.0"),
    DemoStock("012330", "현대모비스", KOSPI, "자동차부품", "318000", "0.0180", 91_800_000, "65.0"),
    DemoStock("035420", "NAVER", KOSPI, "인터넷", "246500", "0.0220", 158_437_008, "80.0"),
    DemoStock("035720", "카카오", KOSPI, "인터넷", "58300", "0.0240", 442_000_000, "70.0"),
    DemoStock("005490", "POSCO홀딩스", KOSPI, "철강", "328500", "0.0220", 84_571_230, "85.0"),
    DemoStock("010130", "고려아연", KOSPI, "비철금속", "1012000", "0.0300", 20_700_000, "45.0"),
    DemoStock("051910", "LG화학", KOSPI, "화학", "336000", "0.0260", 70_592_343, "65.0"),
    DemoStock("096770", "SK이노베이션", KOSPI, "에너지", "112400", "0.0240", 151_000_000, "60.0"),
    DemoStock("105560", "KB금융", KOSPI, "금융", "121300", "0.0170", 381_000_000, "95.0"),
    DemoStock("055550", "신한지주", KOSPI, "금융", "68400", "0.0160", 490_000_000, "90.0"),
    DemoStock("086790", "하나금융지주", KOSPI, "금융", "91200", "0.0170", 284_000_000, "88.0"),
    DemoStock("316140", "우리금융지주", KOSPI, "금융", "26450", "0.0160", 742_600_000, "80.0"),
    DemoStock("323410", "카카오뱅크", KOSPI, "금융", "22300", "0.0220", 477_000_000, "45.0"),
    DemoStock("032830", "삼성생명", KOSPI, "보험", "142600", "0.0180", 200_000_000, "45.0"),
    DemoStock("000810", "삼성화재", KOSPI, "보험", "452000", "0.0150", 47_370_000, "60.0"),
    DemoStock("028260", "삼성물산", KOSPI, "상사", "203000", "0.0190", 170_000_000, "55.0"),
    DemoStock("066570", "LG전자", KOSPI, "전자", "84700", "0.0200", 163_647_814, "65.0"),
    DemoStock("009150", "삼성전기", KOSPI, "전자부품", "198300", "0.0240", 74_693_696, "75.0"),
    DemoStock("018260", "삼성에스디에스", KOSPI, "IT서비스", "168200", "0.0180", 77_377_800, "40.0"),
    DemoStock("017670", "SK텔레콤", KOSPI, "통신", "54800", "0.0120", 214_790_053, "65.0"),
    DemoStock("030200", "KT", KOSPI, "통신", "53600", "0.0130", 251_000_000, "85.0"),
    DemoStock("015760", "한국전력", KOSPI, "전력", "38950", "0.0190", 641_964_077, "45.0"),
    DemoStock("012450", "한화에어로스페이스", KOSPI, "방산", "1038000", "0.0300", 51_600_000, "65.0"),
    DemoStock("064350", "현대로템", KOSPI, "방산", "196800", "0.0320", 109_142_293, "65.0"),
    DemoStock("047810", "한국항공우주", KOSPI, "방산", "93400", "0.0250", 97_475_107, "60.0"),
    DemoStock("329180", "HD현대중공업", KOSPI, "조선", "566000", "0.0280", 88_773_116, "25.0"),
    DemoStock("042660", "한화오션", KOSPI, "조선", "112700", "0.0320", 306_413_394, "40.0"),
    DemoStock("034020", "두산에너빌리티", KOSPI, "기계", "78600", "0.0300", 640_561_146, "65.0"),
    DemoStock("267260", "HD현대일렉트릭", KOSPI, "전기장비", "574000", "0.0290", 36_047_135, "60.0"),
    DemoStock("259960", "크래프톤", KOSPI, "게임", "283500", "0.0200", 48_000_000, "60.0"),
    DemoStock("036570", "엔씨소프트", KOSPI, "게임", "198700", "0.0250", 21_954_022, "80.0"),
    DemoStock("352820", "하이브", KOSPI, "엔터테인먼트", "276000", "0.0240", 41_650_000, "55.0"),
    DemoStock("033780", "KT&G", KOSPI, "필수소비재", "142300", "0.0120", 117_000_000, "85.0"),
    DemoStock("090430", "아모레퍼시픽", KOSPI, "화장품", "128600", "0.0240", 58_500_000, "50.0"),
    DemoStock("011200", "HMM", KOSPI, "해운", "21850", "0.0220", 1_025_039_496, "25.0"),
    DemoStock("003490", "대한항공", KOSPI, "항공", "23150", "0.0160", 368_220_661, "70.0"),
    DemoStock("247540", "에코프로비엠", KOSDAQ, "2차전지", "148600", "0.0350", 97_801_344, "45.0"),
    DemoStock("086520", "에코프로", KOSDAQ, "2차전지", "98700", "0.0380", 133_000_000, "60.0"),
    DemoStock("196170", "알테오젠", KOSDAQ, "바이오", "468500", "0.0340", 53_500_000, "70.0"),
    DemoStock("028300", "HLB", KOSDAQ, "바이오", "52800", "0.0400", 131_000_000, "75.0"),
    DemoStock("141080", "리가켐바이오", KOSDAQ, "바이오", "152300", "0.0330", 36_500_000, "70.0"),
    DemoStock("145020", "휴젤", KOSDAQ, "바이오", "338500", "0.0220", 12_200_000, "55.0"),
    DemoStock("328130", "루닛", KOSDAQ, "헬스케어", "46750", "0.0380", 29_000_000, "70.0"),
    DemoStock("293490", "카카오게임즈", KOSDAQ, "게임", "16480", "0.0240", 82_900_000, "55.0"),
    DemoStock("263750", "펄어비스", KOSDAQ, "게임", "36250", "0.0270", 64_000_000, "55.0"),
    DemoStock("112040", "위메이드", KOSDAQ, "게임", "28650", "0.0350", 34_000_000, "55.0"),
    DemoStock("041510", "에스엠", KOSDAQ, "엔터테인먼트", "108300", "0.0250", 23_800_000, "70.0"),
    DemoStock("035900", "JYP Ent.", KOSDAQ, "엔터테인먼트", "68900", "0.0250", 35_500_000, "80.0"),
    DemoStock("122870", "와이지엔터테인먼트", KOSDAQ, "엔터테인먼트", "71400", "0.0280", 18_700_000, "70.0"),
    DemoStock("253450", "스튜디오드래곤", KOSDAQ, "미디어", "41850", "0.0220", 30_060_000, "45.0"),
    DemoStock("058470", "리노공업", KOSDAQ, "반도체부품", "52600", "0.0260", 15_242_370, "65.0"),
    DemoStock("039030", "이오테크닉스", KOSDAQ, "반도체장비", "158200", "0.0300", 12_300_000, "60.0"),
    DemoStock("240810", "원익IPS", KOSDAQ, "반도체장비", "36450", "0.0300", 49_000_000, "65.0"),
    DemoStock("357780", "솔브레인", KOSDAQ, "반도체소재", "214500", "0.0250", 7_778_000, "55.0"),
    DemoStock("277810", "레인보우로보틱스", KOSDAQ, "로봇", "312000", "0.0400", 19_400_000, "50.0"),
)

BUY, SELL, LIMIT = OrderSide.BUY, OrderSide.SELL, OrderType.LIMIT

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(
        "demo",
        "demo@example.com",
        "stocking-demo",
        (
            DemoOrder("005930", BUY, budget="2500000"),
            DemoOrder("000660", BUY, budget="1800000"),
            DemoOrder("035420", BUY, budget="1000000"),
            DemoOrder("247540", BUY, budget="900000"),
            # Resting orders, so the order book and reservations have something to show.
            DemoOrder("035720", BUY, LIMIT, budget="600000", limit_offset="-0.08"),
            DemoOrder("005930", SELL, LIMIT, quantity=5, limit_offset="0.12"),
        ),
        display_name="데모투자자",
        watching=("005930", "000660", "035720", "373220", "207940"),
    ),
    DemoUser(
        "jiwoo",
        "jiwoo@example.com",
        "stocking-jiwoo",
        (
            DemoOrder("105560", BUY, budget="1500000"),
            DemoOrder("055550", BUY, budget="1200000"),
            DemoOrder("005380", BUY, budget="1300000"),
            DemoOrder("017670", BUY, budget="800000"),
            DemoOrder("033780", BUY, budget="800000"),
        ),
        display_name="배당왕지우",
        watching=("105560", "055550", "033780"),
    ),
    DemoUser(
        "minjun",
        "minjun@example.com",
        "stocking-minjun",
        (
            DemoOrder("196170", BUY, budget="1400000"),
            DemoOrder("012450", BUY, budget="2100000"),
            DemoOrder("086520", BUY, budget="1000000"),
            DemoOrder("328130", BUY, budget="700000"),
            # A partial sell gives the analytics a realized P/L, a fee and a tax entry.
            DemoOrder("328130", SELL, quantity=5),
            DemoOrder("028300", BUY, LIMIT, budget="500000", limit_offset="-0.10"),
        ),
        display_name="바이오민준",
        watching=("196170", "028300", "086520"),
    ),
)

ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "stocking-admin"

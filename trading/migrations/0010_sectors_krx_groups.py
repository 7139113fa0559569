"""Sectors become KRX industry groups: free-text themes the demo seed and imports left behind are
mapped onto their group; anything else is left unclassified (blank), as the fixed list requires."""

from django.db import migrations

KRX_SECTORS = {
    "음식료품", "섬유의복", "종이목재", "화학", "의약품", "비금속광물", "철강금속", "기계", "전기전자", "의료정밀",
    "운수장비", "유통업", "전기가스업", "건설업", "운수창고업", "통신업", "금융업", "은행", "증권", "보험", "서비스업",
    "제조업",
}  # fmt: skip
# A frozen copy of trading.sectors.THEME_SECTORS as of this migration.
THEMES = {
    "반도체": "전기전자", "반도체장비": "전기전자", "반도체부품": "전기전자", "반도체소재": "화학", "2차전지": "전기전자",
    "전자": "전기전자", "전자부품": "전기전자", "전기장비": "전기전자", "바이오": "의약품", "제약": "의약품",
    "헬스케어": "의료정밀", "자동차": "운수장비", "자동차부품": "운수장비", "방산": "운수장비", "조선": "운수장비",
    "철강": "철강금속", "비철금속": "철강금속", "에너지": "화학", "화장품": "화학", "금융": "금융업", "상사": "유통업",
    "통신": "통신업", "전력": "전기가스업", "기계": "기계", "로봇": "기계", "인터넷": "서비스업", "IT서비스": "서비스업",
    "게임": "서비스업", "엔터테인먼트": "서비스업", "미디어": "서비스업", "필수소비재": "음식료품", "해운": "운수창고업",
    "항공": "운수창고업",
}  # fmt: skip


def to_krx_groups(apps, schema_editor):
    Stock = apps.get_model("trading", "Stock")
    for sector in (
        Stock.objects.exclude(sector__in=KRX_SECTORS).exclude(sector="").values_list("sector", flat=True).distinct()
    ):
        Stock.objects.filter(sector=sector).update(sector=THEMES.get(sector.strip(), ""))


class Migration(migrations.Migration):
    dependencies = [("trading", "0009_market_overview_indices")]

    operations = [migrations.RunPython(to_krx_groups, migrations.RunPython.noop)]

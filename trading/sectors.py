"""The fixed sector list: KRX's industry groups (업종), and how the demo universe's themes map onto it.

A stock's `sector` holds the Korean group name (what KRX publishes and what `?sector=` filters by);
the label is its English name, translated back to Korean for Korean pages. Data only: the model,
the importer, the seed and the overview read it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    FOOD = "음식료품", _("Food & beverages")
    TEXTILES = "섬유의복", _("Textiles & apparel")
    PAPER = "종이목재", _("Paper & wood")
    CHEMICALS = "화학", _("Chemicals")
    PHARMA = "의약품", _("Pharmaceuticals")
    NON_METALLIC = "비금속광물", _("Non-metallic minerals")
    METALS = "철강금속", _("Iron & metals")
    MACHINERY = "기계", _("Machinery")
    ELECTRONICS = "전기전자", _("Electrical & electronics")
    MEDICAL = "의료정밀", _("Medical & precision instruments")
    TRANSPORT_EQUIPMENT = "운수장비", _("Transport equipment")
    DISTRIBUTION = "유통업", _("Distribution")
    UTILITIES = "전기가스업", _("Electricity & gas")
    CONSTRUCTION = "건설업", _("Construction")
    LOGISTICS = "운수창고업", _("Transport & storage")
    TELECOM = "통신업", _("Telecommunications")
    FINANCE = "금융업", _("Finance")
    BANKS = "은행", _("Banks")
    SECURITIES = "증권", _("Securities")
    INSURANCE = "보험", _("Insurance")
    SERVICES = "서비스업", _("Services")
    MANUFACTURING = "제조업", _("Manufacturing")


# The free-text themes stocks carried before the fixed list (the demo universe's, e.g. "반도체"),
# each mapped onto its KRX group. The data migration, the importer and the seed share this table.
THEME_SECTORS: dict[str, str] = {
    "반도체": Sector.ELECTRONICS,
    "반도체장비": Sector.ELECTRONICS,
    "반도체부품": Sector.ELECTRONICS,
    "반도체소재": Sector.CHEMICALS,
    "2차전지": Sector.ELECTRONICS,
    "전자": Sector.ELECTRONICS,
    "전자부품": Sector.ELECTRONICS,
    "전기장비": Sector.ELECTRONICS,
    "바이오": Sector.PHARMA,
    "제약": Sector.PHARMA,
    "헬스케어": Sector.MEDICAL,
    "자동차": Sector.TRANSPORT_EQUIPMENT,
    "자동차부품": Sector.TRANSPORT_EQUIPMENT,
    "방산": Sector.TRANSPORT_EQUIPMENT,
    "조선": Sector.TRANSPORT_EQUIPMENT,
    "철강": Sector.METALS,
    "비철금속": Sector.METALS,
    "에너지": Sector.CHEMICALS,
    "화장품": Sector.CHEMICALS,
    "금융": Sector.FINANCE,
    "상사": Sector.DISTRIBUTION,
    "통신": Sector.TELECOM,
    "전력": Sector.UTILITIES,
    "기계": Sector.MACHINERY,
    "로봇": Sector.MACHINERY,
    "인터넷": Sector.SERVICES,
    "IT서비스": Sector.SERVICES,
    "게임": Sector.SERVICES,
    "엔터테인먼트": Sector.SERVICES,
    "미디어": Sector.SERVICES,
    "필수소비재": Sector.FOOD,
    "해운": Sector.LOGISTICS,
    "항공": Sector.LOGISTICS,
}


def sector_for(text: str) -> str | None:
    """The KRX group a sector or theme name stands for ("" stays unclassified); None if unknown."""
    text = text.strip()
    if not text or text in Sector.values:
        return text
    return THEME_SECTORS.get(text)

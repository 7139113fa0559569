"""The committed Korean catalog: compiled, complete for the pages, and what Django loads."""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

PO = Path(settings.BASE_DIR) / "locale" / "ko" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# Strings in other teams' modules (admin messages their tests read in English) may stay untranslated.
PAGE_SOURCES = (
    "templates/",
    "accounts/views.py",
    "accounts/forms.py",
    "trading/views.py",
    "trading/forms.py",
    "trading/templatetags/",
    "stocking/",
    "portfolio/admin.py",
    "portfolio/views.py",
    "portfolio/forms.py",
    "watchlist/views.py",
    "watchlist/forms.py",
    "payments/views.py",
    "payments/forms.py",
)


def entries() -> list[tuple[list[str], str, list[str]]]:
    """(references, msgid, msgstrs) for each entry of the .po file, header excluded."""
    found = []
    for block in PO.read_text().split("\n\n")[1:]:
        refs = [ref for line in re.findall(r"^#: (.*)$", block, re.M) for ref in line.split()]
        msgid = "".join(
            re.findall(r'"(.*)"', block.split("msgid ", 1)[1].split("\nmsgstr")[0].split("\nmsgid_plural")[0])
        )
        strs = [
            "".join(re.findall(r'"(.*)"', part)) for part in re.split(r"^msgstr(?:\[\d\])? ", block, flags=re.M)[1:]
        ]
        found.append((refs, msgid, strs))
    return found


def test_every_page_string_has_a_korean_translation():
    missing = [
        msgid for refs, msgid, strs in entries() if any(ref.startswith(PAGE_SOURCES) for ref in refs) and not all(strs)
    ]
    assert missing == []
    assert "#, fuzzy" not in PO.read_text().split("\n\n", 1)[1]


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed (.ci/run installs it)")
def test_the_committed_mo_file_is_compiled_from_the_po_file(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(PO)], check=True)
    with fresh.open("rb") as expected, MO.open("rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(expected)._catalog, (
            "run `make messages` and commit locale/"
        )


def test_django_loads_korean_by_default_and_english_on_request():
    with translation.override("ko"):
        assert translation.gettext("Dashboard") == "대시보드"
        assert translation.pgettext("order type", "Market") == "시장가"
        assert translation.gettext("Market") == "시장"
    with translation.override("en"):
        assert translation.gettext("Dashboard") == "Dashboard"
    assert settings.LANGUAGE_CODE == "ko"

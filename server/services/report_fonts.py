"""The reports' typeface: DejaVu Sans, embedded (subset) in every PDF.

The PDF standard fonts (Helvetica) carry only Latin text: a student named Иван or Σοφία printed
as ■. DejaVu Sans covers Latin, Greek, Cyrillic, Armenian, Georgian and Hebrew, and has the ★
and arrows the reports show; it has no CJK (those still print as boxes: a CJK face is 10-20 MB).
The files are vendored from Debian's fonts-dejavu-core 2.37 (server/assets/fonts, licence
beside them), so rendering needs nothing from the system.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONTS_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"


@cache
def register_fonts() -> None:
    """Register the faces with ReportLab once per process (its registry is global)."""
    pdfmetrics.registerFont(TTFont(FONT, FONTS_DIR / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, FONTS_DIR / "DejaVuSans-Bold.ttf"))
    # <b> (and <i>, which the reports never use) in paragraph markup find the right face.
    for bold, italic, face in ((0, 0, FONT), (1, 0, FONT_BOLD), (0, 1, FONT), (1, 1, FONT_BOLD)):
        addMapping(FONT, bold, italic, face)

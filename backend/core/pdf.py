"""Drawing the PDFs we issue (e-receipts, e-licences): embedded fonts, mixed Chinese and Latin
text, QR codes. The CJK font (Droid Sans Fallback) and the Latin one (Bitstream Vera) are shipped
in ``payments/fonts`` and embedded in every PDF, so it renders the same with no system fonts."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import qrcode

from backend.core.clock import TZ

FONTS = Path(__file__).resolve().parent.parent.parent / "payments" / "fonts"
FONT_PATH = FONTS / "DroidSansFallback.ttf"
LATIN_FONT_PATH = FONTS / "Vera.ttf"
FONT_NAME = "ZJB-CJK"
LATIN_FONT_NAME = "ZJB-Latin"


def pdf_date(when: dt.datetime) -> str:
    """A PDF date string (D:YYYYMMDDHHmmSS+08'00') in Beijing time."""
    return when.astimezone(TZ).strftime("D:%Y%m%d%H%M%S+08'00'")


def qr_png(data: str) -> bytes:
    img = qrcode.make(data, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


_fonts_registered = False


def register_fonts() -> None:
    global _fonts_registered
    if not _fonts_registered:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH)))
        pdfmetrics.registerFont(TTFont(LATIN_FONT_NAME, str(LATIN_FONT_PATH)))
        _fonts_registered = True


def _has_glyph(font: str, ch: str) -> bool:
    from reportlab.pdfbase import pdfmetrics
    return ord(ch) in pdfmetrics.getFont(font).face.charToGlyph


def _runs(text: str) -> list[tuple[str, str]]:
    """Split text into runs for the Latin font (ASCII, and what only it has, such as the middle
    dot of 阿依古丽·买买提) and the CJK font (everything else)."""
    register_fonts()
    out: list[tuple[str, str]] = []
    for ch in text:
        latin = ord(ch) < 128 or (not _has_glyph(FONT_NAME, ch) and _has_glyph(LATIN_FONT_NAME, ch))
        font = LATIN_FONT_NAME if latin else FONT_NAME
        if out and out[-1][0] == font:
            out[-1] = (font, out[-1][1] + ch)
        else:
            out.append((font, ch))
    return out


class PdfWriter:
    """drawString / drawRightString / drawCentredString with per-run font choice (both embedded);
    everything else goes to the reportlab canvas it wraps."""

    def __init__(self, pdf: Any):
        self.pdf = pdf
        self.size = 9.0

    def setFont(self, _name: str, size: float) -> None:  # noqa: N802 - mirrors reportlab's canvas
        self.size = size

    def width(self, text: str) -> float:
        from reportlab.pdfbase.pdfmetrics import stringWidth
        width: float = sum(stringWidth(t, f, self.size) for f, t in _runs(text))
        return width

    def drawString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        for font, t in _runs(text):
            self.pdf.setFont(font, self.size)
            self.pdf.drawString(x, y, t)
            x += self.pdf.stringWidth(t, font, self.size)

    def drawRightString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        self.drawString(x - self.width(text), y, text)

    def drawCentredString(self, x: float, y: float, text: str) -> None:  # noqa: N802
        self.drawString(x - self.width(text) / 2, y, text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pdf, name)

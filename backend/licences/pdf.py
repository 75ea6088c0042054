"""An e-licence as a PDF: its fields, the QR code that opens public verification, the signature,
and, for a licence no longer valid, its status across the page.

The PDF is the holder's own copy: it names the holder in full (what was signed, and what anyone
verifying sees, is masked). Its metadata is true: created at the moment the licence's content was
signed (for a licence issued here, its issue time), with a Chinese title, author (the issuing
authority) and subject; otherwise the file is byte-for-byte reproducible."""
from __future__ import annotations

import io

from backend.core.pdf import FONT_NAME, PdfWriter, pdf_date, qr_png, register_fonts
from backend.licences.values import Licence

STATUS_MARK = {"revoked": "已撤销", "expired": "已过期"}


def render_pdf(licence: Licence, *, status: str, verify_link: str, holder: tuple[str, str] | None) -> bytes:
    """``holder``: the holder's full name and ID number (None: the masked ones signed are printed)."""
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    register_fonts()
    c = licence.content
    buf = io.BytesIO()
    w, h = landscape(A5)
    pdf = PdfWriter(canvas.Canvas(buf, pagesize=(w, h), invariant=1))
    created = licence.signed.signed_at or licence.issued_at
    pdf.setDateFormatter(lambda *_: pdf_date(created))
    pdf.setTitle(f"{c['name']} {c['number']}")
    pdf.setAuthor(c["issuer"])
    pdf.setCreator("指尖办")
    pdf.setSubject(f"电子证照（{c['type_name']}）{c['number']}，{c['issuer']}颁发于 {c['issued_at'][:10]}")
    pdf.setStrokeColorRGB(0.55, 0.1, 0.1)
    pdf.setLineWidth(2)
    pdf.rect(8 * mm, 8 * mm, w - 16 * mm, h - 16 * mm)
    pdf.setFillColorRGB(0.1, 0.1, 0.1)
    pdf.setFont(FONT_NAME, 20)
    pdf.drawCentredString(w / 2, h - 24 * mm, c["name"])
    pdf.setFont(FONT_NAME, 9)
    pdf.drawCentredString(w / 2, h - 31 * mm, "电子证照")
    left = 20 * mm
    y = h - 44 * mm
    expires = c["expires_at"][:10] if c.get("expires_at") else "长期"
    name, id_number = holder or (c["holder"], c["holder_id"])
    rows = (("证照编号", c["number"]), ("证照类型", c["type_name"]), ("持证人", name),
            ("证件号码", id_number), ("颁发机构", c["issuer"]), ("颁发日期", c["issued_at"][:10]),
            ("有效期至", expires), ("校验码", licence.check_code))
    pdf.setFont(FONT_NAME, 11)
    for label, value in rows:
        pdf.drawString(left, y, f"{label}：{value}")
        y -= 7 * mm
    if c.get("source") == "library":
        pdf.setFont(FONT_NAME, 8)
        pdf.drawString(left, y, "本件由电子证照库调取，经本中心核对后签名。")
    pdf.setFont(FONT_NAME, 7)
    pdf.drawString(left, 15 * mm, f"扫描二维码或访问以下地址查验：{verify_link}")
    pdf.drawString(left, 11 * mm, f"签名（Ed25519，密钥 {c['key_id']}）：{licence.signed.signature[:44]}...")
    qr = ImageReader(io.BytesIO(qr_png(verify_link)))
    pdf.drawImage(qr, w - 20 * mm - 34 * mm, 22 * mm, 34 * mm, 34 * mm)
    mark = STATUS_MARK.get(status)
    if mark:
        pdf.saveState()
        pdf.setFillColorRGB(0.85, 0.1, 0.1)
        pdf.translate(w / 2, h / 2)
        pdf.rotate(20)
        pdf.setFont(FONT_NAME, 48)
        pdf.drawCentredString(0, 0, mark)
        pdf.restoreState()
    pdf.showPage()
    pdf.save()
    return buf.getvalue()

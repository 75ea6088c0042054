"""An e-licence as a PDF: its fields, the QR code that opens public verification, the signature,
and, for a licence no longer valid, its status across the page."""
from __future__ import annotations

import io

from backend.core.pdf import FONT_NAME, PdfWriter, qr_png, register_fonts
from backend.licences.values import Licence

STATUS_MARK = {"revoked": "已撤销", "expired": "已过期"}


def render_pdf(licence: Licence, *, status: str, verify_link: str) -> bytes:
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    register_fonts()
    c = licence.content
    buf = io.BytesIO()
    w, h = landscape(A5)
    pdf = PdfWriter(canvas.Canvas(buf, pagesize=(w, h), invariant=1))
    pdf.setTitle(f"{c['name']} {c['number']}")
    pdf.setAuthor(c["issuer"])
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
    rows = (("证照编号", c["number"]), ("证照类型", c["type_name"]), ("持证人", c["holder"]),
            ("证件号码", c["holder_id"]), ("颁发机构", c["issuer"]), ("颁发日期", c["issued_at"][:10]),
            ("有效期至", expires), ("校验码", licence.signed.check_code))
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

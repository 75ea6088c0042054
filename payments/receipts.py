"""E-receipts (财政电子票据): numbering, amounts in capitals, signature, QR code and PDF.

- Exactly one receipt per payment: a unique index on ``payment_id`` (not luck); the receipt is
  written in the same transaction that marks the payment paid (``service.py``).
- 票据号码 comes from a gap-free sequence per receipt code (票据代码: the region prefix and the
  year's last two digits) and year, restarting at 1 each year; ``issuing.py`` numbers the
  receipts in blocks by conditional updates of one counter document per code and year.
- The content is signed with Ed25519 over a canonical form (sorted-key compact JSON, UTF-8);
  anyone can check it offline with the published public key (``GET /receipts/public-key``).
- 校验码 (``backend.core.signing.new_check_code``): 10 characters from a 32-letter alphabet drawn
  from ``secrets`` (50 bits), compared in constant time, so with the public verification limited
  per client address, guessing one is hopeless; ``GET /receipts/verify`` needs code + number +
  check together.
- A red-letter receipt (红字票据) is numbered from the same sequence and signed the same way; it
  names the receipt it reverses and shows the refunded amount as negative.
"""
from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import urlencode

from backend.core.clock import TZ
from backend.core.pdf import FONT_NAME, PdfWriter, pdf_date, qr_png, register_fonts
from backend.core.signing import Ed25519Signer
from payments.values import Payment, Receipt, Refund

TITLE = "非税收入统一票据（电子）"

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ["", "拾", "佰", "仟"]
_SECTIONS = ["", "万", "亿", "万亿"]


def amount_in_capitals(fen: int) -> str:
    """Chinese financial capitals: 1000 → 壹拾元整, 1005 → 壹拾元零伍分, 10_050_000 → 壹拾万零伍佰元整."""
    if fen < 0:
        raise ValueError("negative amount")
    yuan, jiao, fen_ = fen // 100, fen // 10 % 10, fen % 10
    out = ""
    if yuan:
        groups = []
        n = yuan
        while n:
            groups.append(n % 10000)
            n //= 10000
        parts: list[str] = []
        zero_pending = False
        for gi in range(len(groups) - 1, -1, -1):
            g = groups[gi]
            if g == 0:
                zero_pending = True
                continue
            if parts and (zero_pending or g < 1000):
                parts.append("零")
            zero_pending = False
            s, inner_zero = "", False
            for pos in range(3, -1, -1):
                d = g // 10 ** pos % 10
                if d == 0:
                    inner_zero = bool(s)
                    continue
                if inner_zero:
                    s += "零"
                    inner_zero = False
                s += _DIGITS[d] + _UNITS[pos]
            parts.append(s + _SECTIONS[gi])
        out = "".join(parts) + "元"
    if jiao == 0 and fen_ == 0:
        return (out or "零元") + "整"
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif out:
        out += "零"
    if fen_:
        out += _DIGITS[fen_] + "分"
    else:
        out += "整"
    return out


def mask_name(name: str | None) -> str:
    if not name:
        return "*"
    return name if "*" in name else name[0] + "*" * (len(name) - 1)


class ReceiptSigner(Ed25519Signer):
    def __init__(self, private_key_pem: str, key_id: str):
        super().__init__(private_key_pem, key_id, what="receipts.signing_key_file")


def receipt_code(prefix: str, year: int) -> str:
    return f"{prefix}{year % 100:02d}"


def build_content(*, code: str, number: str, payment: Payment, payer_masked: str, payee: str,
                  issued_at: dt.datetime, key_id: str) -> dict[str, Any]:
    """What is signed: what the receipt states. The payer is signed masked, as the public
    verification shows it; the PDF (the payer's own copy) prints the full name beside it."""
    return {
        "code": code, "number": number, "payment_id": str(payment.id),
        "application_serial": payment.serial,
        "payer": payer_masked, "payee": payee,
        "items": [{"name": i.name, "amount_fen": i.amount_fen} for i in payment.items],
        "amount_fen": payment.amount_fen, "amount_capitals": amount_in_capitals(payment.amount_fen),
        "issued_at": issued_at.astimezone(TZ).isoformat(timespec="seconds"),
        "channel": payment.paid_channel or "", "transaction_id": payment.transaction_id or "",
        "key_id": key_id,
    }


def build_red_content(*, code: str, number: str, original: Receipt, refund: Refund,
                      payment: Payment, payer_masked: str, payee: str, issued_at: dt.datetime,
                      key_id: str) -> dict[str, Any]:
    """A red-letter receipt: the refunded amount, negative, against the receipt it reverses. A
    full refund repeats every item negated; a partial one is one line for the refunded amount."""
    amount = refund.amount_fen
    if amount >= payment.amount_fen:
        items = [{"name": i.name, "amount_fen": -i.amount_fen} for i in payment.items]
    else:
        items = [{"name": f"部分退款（{refund.reason or '退款'}）"[:40], "amount_fen": -amount}]
    return {
        "kind": "red", "code": code, "number": number, "payment_id": str(payment.id),
        "refund_id": str(refund.id), "original": {"code": original.code, "number": original.number},
        "application_serial": payment.serial, "payer": payer_masked, "payee": payee,
        "items": items, "amount_fen": -amount, "amount_capitals": "负" + amount_in_capitals(amount),
        "issued_at": issued_at.astimezone(TZ).isoformat(timespec="seconds"),
        "channel": refund.channel, "out_refund_no": refund.out_refund_no,
        "key_id": key_id,
    }


def verify_url(public_url: str, code: str, number: str, check: str) -> str:
    """The human-readable verification page the receipt's QR code opens."""
    return f"{public_url}/verify/receipt?" + urlencode({"code": code, "number": number, "check": check})


def yuan(fen: int) -> str:
    """1005 → "10.05", -1005 → "-10.05"."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def render_pdf(receipt: Receipt, *, verify_link: str, seal_text: str, payer_name: str | None) -> bytes:
    """The receipt as a PDF, with the CJK font embedded (renders the same with no system fonts).

    ``payer_name`` is the payer's full name: the PDF is the payer's own copy. Its metadata carries
    the receipt's issue time (the content stays byte-for-byte reproducible otherwise)."""
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    register_fonts()
    c = receipt.content
    red = c.get("kind") == "red"
    title = TITLE + ("（红字）" if red else "")
    issued = dt.datetime.fromisoformat(c["issued_at"])
    buf = io.BytesIO()
    w, h = landscape(A5)
    pdf = PdfWriter(canvas.Canvas(buf, pagesize=(w, h), invariant=1))
    pdf.setDateFormatter(lambda *_: pdf_date(issued))
    pdf.setTitle(f"{title} {c['code']}-{c['number']}")
    pdf.setAuthor(c["payee"])
    pdf.setCreator("指尖办")
    pdf.setSubject(f"{'红字票据' if red else '电子票据'} {c['code']}-{c['number']}，开具于 {c['issued_at']}")
    if red:
        pdf.setFillColorRGB(0.8, 0.1, 0.1)
    pdf.setFont(FONT_NAME, 16)
    pdf.drawCentredString(w / 2, h - 18 * mm, title)
    pdf.setFillColorRGB(0, 0, 0)
    pdf.setFont(FONT_NAME, 9)
    y = h - 28 * mm
    left = 14 * mm
    for label, value in (("票据代码", c["code"]), ("票据号码", c["number"]), ("校验码", receipt.check_code),
                         ("开票日期", c["issued_at"][:10])):
        pdf.drawString(left, y, f"{label}：{value}")
        y -= 5 * mm
    pdf.drawString(left + 70 * mm, h - 28 * mm, f"交款人：{payer_name or c['payer']}")
    pdf.drawString(left + 70 * mm, h - 33 * mm, f"办件编号：{c['application_serial'] or '—'}")
    if red:
        o = c["original"]
        pdf.drawString(left + 70 * mm, h - 38 * mm, f"冲红原票据：{o['code']}-{o['number']}")
    # items table
    y -= 3 * mm
    pdf.line(left, y, w - left, y)
    y -= 5 * mm
    pdf.drawString(left, y, "项目名称")
    pdf.drawRightString(w - left - 50 * mm, y, "金额（元）")
    y -= 2 * mm
    pdf.line(left, y, w - left, y)
    for item in c["items"]:
        y -= 5 * mm
        pdf.drawString(left, y, item["name"])
        pdf.drawRightString(w - left - 50 * mm, y, yuan(item["amount_fen"]))
    y -= 3 * mm
    pdf.line(left, y, w - left, y)
    y -= 6 * mm
    pdf.drawString(left, y, f"金额合计（大写）：{c['amount_capitals']}")
    pdf.drawRightString(w - left - 50 * mm, y, f"（小写）{yuan(c['amount_fen'])}")
    y -= 6 * mm
    pdf.drawString(left, y, f"收款单位：{c['payee']}")
    pdf.setFont(FONT_NAME, 7)
    pdf.drawString(left, 10 * mm, f"扫描二维码或访问以下地址查验真伪：{verify_link}")
    pdf.drawString(left, 6 * mm, f"签名（Ed25519，密钥 {c['key_id']}）：{receipt.signature[:44]}...")
    # QR code and seal area
    qr = ImageReader(io.BytesIO(qr_png(verify_link)))
    pdf.drawImage(qr, w - left - 30 * mm, 14 * mm, 30 * mm, 30 * mm)
    pdf.setStrokeColorRGB(0.8, 0.1, 0.1)
    pdf.setFillColorRGB(0.8, 0.1, 0.1)
    pdf.circle(w - left - 62 * mm, 30 * mm, 15 * mm)
    pdf.setFont(FONT_NAME, 8)
    pdf.drawCentredString(w - left - 62 * mm, 31 * mm, c["payee"][:9])
    pdf.drawCentredString(w - left - 62 * mm, 26 * mm, seal_text)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()

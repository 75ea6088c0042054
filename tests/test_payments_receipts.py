"""E-receipts: gap-free numbering under concurrency, one per payment, PDF text round-trip, signatures."""
from __future__ import annotations

import base64
import datetime as dt
import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pypdf
from bson import ObjectId
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pymongo.errors import DuplicateKeyError

from backend.core.clock import TZ
from payments.receipts import receipt_code
from payments.values import NumberedEntry, ReceiptKind
from tests.support import Api, assert_error, new_resident
from tests.support_payments import confirm_wechat, create_order, db_find, pay_wechat, prepay_id


def _paid_receipt(api, server):
    resident, order = create_order(api, server, items=[{"name": "营业执照工本费", "amount_fen": 1000}])
    confirm_wechat(api, prepay_id(pay_wechat(api, resident, order["id"])))
    p = api.get(f"/api/v1/payments/{order['id']}", token=resident.access_token).json()
    return resident, p, api.get(f"/api/v1/receipts/{p['receipt_id']}", token=resident.access_token).json()


def test_numbering_is_gap_free_under_concurrent_notices(api, server) -> None:
    prepays = []
    for _ in range(12):
        resident, order = create_order(api, server)
        prepays.append(prepay_id(pay_wechat(api, resident, order["id"])))

    def confirm(p: str) -> int:
        return Api(server.base).post("/sandbox/wechatpay/confirm", {"prepay_id": p}).json()["notify_status"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(confirm, prepays))
    assert statuses == [204] * 12
    seqs = sorted(r["seq"] for r in db_find(server, "receipts", {}))
    assert seqs == list(range(1, len(seqs) + 1)), seqs  # no gap, no duplicate, whatever ran before
    assert len({r["payment_id"] for r in db_find(server, "receipts", {})}) == len(seqs)


def test_concurrent_notices_in_one_process_write_each_receipt_once(api, server, monkeypatch) -> None:
    """The notices share the process's numbering rounds: no receipt is written twice beside itself
    (the writes were idempotent, but each repeated one cost four database round trips)."""
    prepays = []
    for _ in range(12):
        resident, order = create_order(api, server)
        prepays.append(prepay_id(pay_wechat(api, resident, order["id"])))
    store = server.ctx.service("payments").receipts.store
    writes: list[str] = []
    insert = store.insert_receipt

    async def counted(receipt, *args, **kwargs):
        writes.append(str(receipt.id))
        return await insert(receipt, *args, **kwargs)

    monkeypatch.setattr(store, "insert_receipt", counted)
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda p: Api(server.base).post("/sandbox/wechatpay/confirm",
                                                                 {"prepay_id": p}).json()["notify_status"],
                                 prepays))
    assert statuses == [204] * 12
    assert len(writes) == len(set(writes)) == 12, sorted(writes)


def test_exactly_one_receipt_per_payment_is_enforced_by_the_index(api, server) -> None:
    _, p, receipt = _paid_receipt(api, server)
    doc = db_find(server, "receipts", {"_id": ObjectId(receipt["id"])})[0]
    dup = {**doc, "_id": ObjectId(), "number": "9" * 10}
    try:
        server.run(server.ctx.db["receipts"].insert_one(dup))
        raise AssertionError("a second receipt for one payment was accepted")
    except DuplicateKeyError:
        pass


def test_receipt_content_verify_and_signature(api, server) -> None:
    resident, p, r = _paid_receipt(api, server)
    assert r["amount_capitals"] == "壹拾元整" and r["code"].startswith("110101")
    assert "*" in r["payer_masked"] and r["kind"] == "blue" and r["status"] == "issued" and r["refunded_fen"] == 0
    # the check code: 10 characters of a 32-letter alphabet (50 bits), not derived from anything public
    assert len(r["check_code"]) == 10 and set(r["check_code"]) <= set("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")
    # public verification needs code + number + check together
    q = f"code={r['code']}&number={r['number']}&check={r['check_code']}"
    client = {"X-Forwarded-For": "198.51.100.21"}
    v = api.get(f"/api/v1/receipts/verify?{q}", headers=client)
    assert v.status_code == 200 and v.json()["valid"] is True and v.json()["amount_fen"] == 1000
    assert v.json()["status"] == "issued" and v.json()["refunded_fen"] == 0
    assert v.json()["payer_masked"] == r["payer_masked"]
    assert_error(api.get(f"/api/v1/receipts/verify?code={r['code']}&number={r['number']}&check=0000000000",
                         headers=client), 404, "not_found")
    # offline: the published public key verifies the signed content; one changed byte fails
    pk = api.get("/api/v1/receipts/public-key").json()
    key = load_pem_public_key(pk["public_key_pem"].encode())
    content = r["signature"]["signed_content"].encode()
    sig = base64.b64decode(r["signature"]["value"])
    key.verify(sig, content)
    assert json.loads(content)["amount_fen"] == 1000
    from cryptography.exceptions import InvalidSignature
    for i in (0, len(content) // 2, len(content) - 1):
        changed = bytearray(content)
        changed[i] ^= 0x01
        try:
            key.verify(sig, bytes(changed))
            raise AssertionError("a changed byte still verified")
        except InvalidSignature:
            pass
    # a receipt altered in the database no longer verifies online either
    server.run(server.ctx.db["receipts"].update_one({"_id": ObjectId(r["id"])}, {"$set": {"content.amount_fen": 100}}))
    assert_error(api.get(f"/api/v1/receipts/verify?{q}", headers=client), 404, "not_found")


def test_pdf_embeds_cjk_font_and_text_round_trips(api, server) -> None:
    resident, p, r = _paid_receipt(api, server)
    resp = api.get(f"/api/v1/receipts/{r['id']}/pdf", token=resident.access_token)
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/pdf"
    pdf = pypdf.PdfReader(io.BytesIO(resp.content))
    text = "".join(pdf.pages[0].extract_text().split())  # runs of the two fonts come out on separate lines
    assert "\x00" not in text  # every character has a glyph
    # the payer's own copy names the payer in full; the verification link is the human-readable page
    for expected in ("非税收入统一票据", r["code"], r["number"], r["check_code"], "壹拾元整", "营业执照工本费",
                     "示例市政务服务中心", "财政票据专用章", f"交款人：{resident.name}", "/verify/receipt?"):
        assert expected in text, (expected, text)
    # the metadata carries the real issue time (Beijing time), not a fixed date
    issued = dt.datetime.fromisoformat(r["issued_at"])
    assert pdf.metadata["/CreationDate"] == issued.strftime("D:%Y%m%d%H%M%S+08'00'")
    fonts = pdf.pages[0]["/Resources"]["/Font"]
    embedded = [f.get_object()["/FontDescriptor"] if "/FontDescriptor" in f.get_object() else
                f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                for f in fonts.values() if f.get_object().get("/Subtype") in ("/TrueType", "/Type0")]
    assert embedded and all("/FontFile2" in d.get_object() for d in embedded)
    assert "/XObject" in pdf.pages[0]["/Resources"]  # the QR code image
    other = new_resident(api, verified=True)
    assert_error(api.get(f"/api/v1/receipts/{r['id']}/pdf", token=other.access_token), 404, "not_found")
    assert_error(api.get(f"/api/v1/receipts/{r['id']}", token=other.access_token), 404, "not_found")


def test_a_pdf_is_drawn_off_the_event_loop(api, server, monkeypatch) -> None:
    """Drawing a page takes tens of milliseconds: the requests answered meanwhile do not wait for it."""
    from payments import receipts as rc
    resident, _, r = _paid_receipt(api, server)
    drawn_on: list[threading.Thread] = []
    render = rc.render_pdf

    def recorded(*args, **kwargs):
        drawn_on.append(threading.current_thread())
        return render(*args, **kwargs)

    monkeypatch.setattr(rc, "render_pdf", recorded)
    resp = api.get(f"/api/v1/receipts/{r['id']}/pdf", token=resident.access_token)
    assert resp.status_code == 200 and resp.content.startswith(b"%PDF")
    assert len(drawn_on) == 1 and drawn_on[0] is not server._thread


def test_every_character_of_a_name_has_a_glyph() -> None:
    """Names with the middle dot (阿依古丽·买买提) and full-width signs come out whole: each
    character is drawn in the embedded font that has it."""
    from reportlab.pdfgen import canvas

    from backend.core.pdf import PdfWriter, register_fonts
    register_fonts()
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    w = PdfWriter(c)
    w.setFont("", 12)
    line = "交款人：阿依古丽·买买提（ZJB-001）¥10.00 — 完"
    w.drawString(50, 700, line)
    c.save()
    text = pypdf.PdfReader(io.BytesIO(buf.getvalue())).pages[0].extract_text()
    assert "\x00" not in text and "".join(text.split()) == "".join(line.split()), text


def test_my_receipts_and_staff_lookup(api, server) -> None:
    resident, p, r = _paid_receipt(api, server)
    mine = api.get("/api/v1/receipts", token=resident.access_token).json()
    assert [x["id"] for x in mine["items"]] == [r["id"]]
    from tests.support_payments import finance_token
    found = api.get(f"/api/v1/staff/receipts?number={r['number']}&code={r['code']}", token=finance_token(api)).json()
    assert found["items"][0]["payment_id"] == p["id"]


def test_a_round_after_this_process_wrote_its_block_whole_does_not_write_it_again(api, server, monkeypatch) -> None:
    """Each round first writes the counter's last block, for a process that died before finishing
    it; the process that wrote that block whole knows it and goes straight on."""
    _, first, _ = _paid_receipt(api, server)
    store = server.ctx.service("payments").receipts.store
    cleared: list[ObjectId] = []
    clear = store.clear_receipt_pending

    async def counted(kind, source_ids):
        cleared.extend(source_ids)
        return await clear(kind, source_ids)

    monkeypatch.setattr(store, "clear_receipt_pending", counted)
    _, second, receipt = _paid_receipt(api, server)
    assert ObjectId(second["id"]) in cleared and receipt["number"]
    assert ObjectId(first["id"]) not in cleared, "the block this process had written whole was written again"


def test_a_block_taken_by_a_process_that_died_is_written_by_the_next_round(api, server, monkeypatch) -> None:
    """Another process took the next number for a paid order and died before writing its receipt:
    the next round here writes that receipt with that number (no gap, no second number)."""
    _paid_receipt(api, server)   # this process has just written a block whole
    receipts = server.ctx.service("payments").receipts
    real_finish = type(receipts).finish_pending

    async def died(*_args):
        return 0

    monkeypatch.setattr(receipts, "number_pending", died)   # the order is paid; its receipt waits
    monkeypatch.setattr(server.ctx.workers.jobs["payments.receipts"], "fn", died)   # nor the job yet
    resident, order = create_order(api, server)
    confirm_wechat(api, prepay_id(pay_wechat(api, resident, order["id"])))
    [payment] = db_find(server, "payments", {"_id": ObjectId(order["id"])})
    assert payment["status"] == "paid" and payment["receipt_pending"] is True
    year = payment["receipt_issued_at"].astimezone(TZ).year
    code = receipt_code(receipts.rconfig.code_prefix, year)
    counter = server.run(receipts.store.receipt_counter(code, year))
    entry = NumberedEntry(kind=ReceiptKind.BLUE, receipt_id=payment["receipt_id"], source_id=payment["_id"])
    assert server.run(receipts.store.take_receipt_numbers(code, year, counter.seq, [entry]))

    assert server.run(real_finish(receipts)) == 0   # the round wrote the taken block, numbered nothing new
    [written] = db_find(server, "receipts", {"_id": payment["receipt_id"]})
    assert written["seq"] == counter.seq + 1
    assert server.run(receipts.store.receipt_counter(code, year)).seq == counter.seq + 1
    assert "receipt_pending" not in db_find(server, "payments", {"_id": payment["_id"]})[0]

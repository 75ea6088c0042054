"""The WeChat Pay stand-in: the parts of api.mch.weixin.qq.com (APIv3) we use, in its own protocol.

The real ``wechatpayv3`` SDK talks to it with only the gateway address changed:

- every request's ``Authorization: WECHATPAY2-SHA256-RSA2048 ...`` is checked against the
  merchant's public key (method, path, timestamp within 5 minutes, nonce, body);
- every answer is signed with the platform private key (``Wechatpay-Signature`` over
  ``timestamp\\nnonce\\nbody\\n``, ``Wechatpay-Serial`` = the platform public key id);
- notices are JSON with the resource encrypted AEAD_AES_256_GCM under the APIv3 key, signed the
  same way, POSTed to the order's ``notify_url`` and retried on failure on WeChat Pay's real
  schedule (15s, 15s, 30s, 3m, 10m, 20m, 30m, 30m, 30m, 60m, 3h, 3h, 3h, 6h, 6h), multiplied by
  ``payments.sandbox_retry_factor``;
- the daily trade bill is served in the real format (backtick-prefixed CSV, gzip, SHA1), and
  only once published (``bill_ready``; WeChat Pay publishes day T's bill from 10:00 on T+1).

Business times (success and refund times, the day a payment lands on in the bill, notice retries)
come from the server's ``Clock`` (the movable sandbox clock), so the bills agree with the payments;
signature timestamps stay on the wall clock, which both sides' SDKs check.

Hooks (sandbox only): ``POST /sandbox/wechatpay/confirm {prepay_id, notify?}`` pays as the
resident would; ``POST /sandbox/wechatpay/resend {prepay_id}`` sends the same notice again;
``GET /sandbox/wechatpay/notices?out_trade_no=`` shows what was sent.
State lives in ``DATA_DIR/sandbox/wechatpay.sqlite`` so it survives a restart.
"""
from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import logging
import re
import secrets
import uuid
from typing import Any, Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from backend.core.api import ApiHandler, BaseHandler, Response, operation, route
from backend.core.clock import TZ, Clock, wall_now
from backend.core.domain import Route
from backend.core.schema import boolean, list_of, obj, string
from sandbox.paykeys import rsa_private_key, rsa_public_key
from sandbox.state import StandinStore

log = logging.getLogger("zjb.sandbox.wechatpay")

PREFIX = "/sandbox/wechatpay"
RETRY_SCHEDULE = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600)
OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
TAGS = ("沙箱：微信支付替身",)

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (out_trade_no TEXT PRIMARY KEY, prepay_id TEXT UNIQUE, appid TEXT, mchid TEXT,
    description TEXT, total INTEGER, openid TEXT, notify_url TEXT, time_expire TEXT, request TEXT,
    state TEXT, transaction_id TEXT, success_time TEXT, paid_at REAL, created_at REAL, refunded INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS refunds (out_refund_no TEXT PRIMARY KEY, refund_id TEXT, out_trade_no TEXT,
    transaction_id TEXT, refund INTEGER, total INTEGER, status TEXT, notify_url TEXT, reason TEXT,
    created_at REAL, success_time TEXT, succeeded_at REAL);
CREATE TABLE IF NOT EXISTS notices (id TEXT PRIMARY KEY, ref TEXT, kind TEXT, url TEXT, body TEXT, attempts INTEGER,
    next_at REAL, state TEXT, last_status INTEGER, created_at REAL, sent_headers TEXT);
CREATE INDEX IF NOT EXISTS notices_due ON notices (state, next_at);
CREATE TABLE IF NOT EXISTS bills (token TEXT PRIMARY KEY, bill_date TEXT, created_at REAL);
"""


def _rfc3339(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, TZ).isoformat(timespec="seconds")


class WeChatPayStandin:
    def __init__(self, path: str, *, mchid: str, appid: str, apiv3_key: str, merchant_public_pem: str,
                 merchant_serial: str, platform_private_pem: str, platform_key_id: str, clock: Clock,
                 retry_factor: float = 1.0, base_url: str = "", bill_ready: Callable[[dt.date], bool] | None = None):
        self.store = StandinStore(path, SCHEMA)
        self.clock = clock
        self.mchid = mchid
        self.appid = appid
        self.apiv3_key = apiv3_key.encode()
        self.merchant_public = rsa_public_key(merchant_public_pem)
        self.merchant_serial = merchant_serial
        self.platform_private = rsa_private_key(platform_private_pem)
        self.platform_key_id = platform_key_id
        self.retry_factor = retry_factor
        self.base_url = base_url.rstrip("/")
        # When is a day's bill published (WeChat Pay: from 10:00 the next day); None: once the day has begun.
        self.bill_ready = bill_ready or (lambda day: day <= self._local_now().date())

    def _now(self) -> float:
        """The server's time as a timestamp: what every business time here is stamped with."""
        return self.clock.now().timestamp()

    def _local_now(self) -> dt.datetime:
        return self.clock.now().astimezone(TZ)

    # -- signing ---------------------------------------------------------------------------------

    def sign_headers(self, body: str) -> dict[str, str]:
        # Wall clock: the receiving SDK checks Wechatpay-Timestamp against its real time.
        ts, nonce = str(int(wall_now().timestamp())), secrets.token_hex(16)
        sig = self.platform_private.sign(f"{ts}\n{nonce}\n{body}\n".encode(), PKCS1v15(), SHA256())
        return {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce,
                "Wechatpay-Signature": base64.b64encode(sig).decode(),
                "Wechatpay-Serial": self.platform_key_id,
                "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
                "Request-ID": uuid.uuid4().hex}

    def check_authorization(self, method: str, path: str, header: str, body: str) -> str | None:
        """None when the merchant's request signature is good; otherwise WeChat's error code."""
        if not header.startswith("WECHATPAY2-SHA256-RSA2048 "):
            return "SIGN_ERROR"
        fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
        if fields.get("mchid") != self.mchid:
            return "MCH_NOT_EXISTS"
        if fields.get("serial_no") != self.merchant_serial:
            return "SIGN_ERROR"
        try:
            ts = int(fields.get("timestamp", ""))
        except ValueError:
            return "SIGN_ERROR"
        if abs(wall_now().timestamp() - ts) > 300:  # the merchant SDK signs with its real time
            return "SIGN_ERROR"
        message = f"{method}\n{path}\n{ts}\n{fields.get('nonce_str', '')}\n{body}\n".encode()
        try:
            self.merchant_public.verify(base64.b64decode(fields.get("signature", "")), message, PKCS1v15(), SHA256())
        except (InvalidSignature, ValueError):
            return "SIGN_ERROR"
        return None

    def encrypt_resource(self, plain: dict[str, Any], associated_data: str) -> dict[str, str]:
        nonce = secrets.token_urlsafe(9)[:12]
        ct = AESGCM(self.apiv3_key).encrypt(nonce.encode(), json.dumps(plain, ensure_ascii=False).encode(),
                                            associated_data.encode())
        return {"original_type": associated_data, "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(ct).decode(), "associated_data": associated_data, "nonce": nonce}

    def notice_body(self, resource: dict[str, Any], event_type: str, original_type: str, summary: str,
                    notice_id: str | None = None) -> str:
        return json.dumps({"id": notice_id or str(uuid.uuid4()), "create_time": _rfc3339(self._now()),
                           "resource_type": "encrypt-resource", "event_type": event_type, "summary": summary,
                           "resource": self.encrypt_resource(resource, original_type)}, ensure_ascii=False)

    # -- protocol ----------------------------------------------------------------------------------

    def jsapi(self, req: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        for k in ("appid", "mchid", "description", "out_trade_no", "notify_url", "amount", "payer"):
            if k not in req:
                return 400, {"code": "PARAM_ERROR", "message": f"缺少参数 {k}"}
        if req["mchid"] != self.mchid:
            return 400, {"code": "MCH_NOT_EXISTS", "message": "商户号不存在"}
        if req["appid"] != self.appid:
            return 400, {"code": "APPID_MCHID_NOT_MATCH", "message": "appid和mch_id不匹配"}
        otn = req["out_trade_no"]
        total = (req.get("amount") or {}).get("total")
        if not OUT_TRADE_NO.match(otn) or not isinstance(total, int) or total <= 0:
            return 400, {"code": "PARAM_ERROR", "message": "参数错误"}
        openid = (req.get("payer") or {}).get("openid")
        canonical = json.dumps({k: req.get(k) for k in ("description", "amount", "payer")}, sort_keys=True)
        with self.store.transaction() as tx:
            row = tx.execute("SELECT * FROM orders WHERE out_trade_no = ?", (otn,)).fetchone()
            if row is not None:
                if row["request"] != canonical:
                    return 400, {"code": "INVALID_REQUEST", "message": "201 商户订单号重复"}
                if row["state"] == "SUCCESS":
                    return 400, {"code": "ORDERPAID", "message": "该订单已支付"}
                return 200, {"prepay_id": row["prepay_id"]}
            prepay_id = "wx" + self._local_now().strftime("%d%H%M%S") + secrets.token_hex(12)
            tx.execute("INSERT INTO orders (out_trade_no, prepay_id, appid, mchid, description, total, openid, "
                       "notify_url, time_expire, request, state, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                       (otn, prepay_id, req["appid"], req["mchid"], req["description"], total, openid,
                        req["notify_url"], req.get("time_expire"), canonical, "NOTPAY", self._now()))
        return 200, {"prepay_id": prepay_id}

    def _transaction(self, row: Any) -> dict[str, Any]:
        t: dict[str, Any] = {"appid": row["appid"], "mchid": row["mchid"], "out_trade_no": row["out_trade_no"],
                             "trade_type": "JSAPI", "trade_state": row["state"],
                             "trade_state_desc": {"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭",
                                                  "REFUND": "转入退款"}.get(row["state"], row["state"]),
                             "amount": {"total": row["total"], "currency": "CNY"}}
        if row["transaction_id"]:
            t.update({"transaction_id": row["transaction_id"], "bank_type": "OTHERS", "attach": "",
                      "success_time": row["success_time"], "payer": {"openid": row["openid"]},
                      "amount": {"total": row["total"], "payer_total": row["total"], "currency": "CNY",
                                 "payer_currency": "CNY"}})
        return t

    def query(self, out_trade_no: str, mchid: str) -> tuple[int, dict[str, Any]]:
        if mchid != self.mchid:
            return 400, {"code": "MCH_NOT_EXISTS", "message": "商户号不存在"}
        row = self.store.one("SELECT * FROM orders WHERE out_trade_no = ?", (out_trade_no,))
        if row is None:
            return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
        return 200, self._transaction(row)

    def close(self, out_trade_no: str, req: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        if req.get("mchid") != self.mchid:
            return 400, {"code": "MCH_NOT_EXISTS", "message": "商户号不存在"}
        with self.store.transaction() as tx:
            row = tx.execute("SELECT state FROM orders WHERE out_trade_no = ?", (out_trade_no,)).fetchone()
            if row is None:
                return 404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
            if row["state"] in ("SUCCESS", "REFUND"):
                return 400, {"code": "ORDERPAID", "message": "订单已支付"}
            tx.execute("UPDATE orders SET state = 'CLOSED' WHERE out_trade_no = ?", (out_trade_no,))
        return 204, None

    def _refund_view(self, r: Any) -> dict[str, Any]:
        v = {"refund_id": r["refund_id"], "out_refund_no": r["out_refund_no"], "transaction_id": r["transaction_id"],
             "out_trade_no": r["out_trade_no"], "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
             "create_time": _rfc3339(r["created_at"]), "status": r["status"], "funds_account": "AVAILABLE",
             "amount": {"total": r["total"], "refund": r["refund"], "payer_total": r["total"],
                        "payer_refund": r["refund"], "settlement_refund": r["refund"],
                        "settlement_total": r["total"], "discount_refund": 0, "currency": "CNY"}}
        if r["success_time"]:
            v["success_time"] = r["success_time"]
        return v

    def refund(self, req: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        orn, otn = req.get("out_refund_no"), req.get("out_trade_no")
        amount = req.get("amount") or {}
        refund, total = amount.get("refund"), amount.get("total")
        if not (orn and otn and isinstance(refund, int) and isinstance(total, int) and refund > 0):
            return 400, {"code": "PARAM_ERROR", "message": "参数错误"}
        with self.store.transaction() as tx:
            existing = tx.execute("SELECT * FROM refunds WHERE out_refund_no = ?", (orn,)).fetchone()
            if existing is not None:  # the same out_refund_no refunds once
                return 200, self._refund_view(existing)
            order = tx.execute("SELECT * FROM orders WHERE out_trade_no = ?", (otn,)).fetchone()
            if order is None or order["transaction_id"] is None:
                return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "订单不存在"}
            if total != order["total"]:
                return 400, {"code": "PARAM_ERROR", "message": "订单金额与原订单不一致"}
            if refund > order["total"] - order["refunded"]:
                return 403, {"code": "NOT_ENOUGH", "message": "申请退款金额超过订单可退金额"}
            refund_id = "50" + str(int(self._now() * 1000)) + secrets.token_hex(4)
            tx.execute("INSERT INTO refunds (out_refund_no, refund_id, out_trade_no, transaction_id, refund, total, "
                       "status, notify_url, reason, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                       (orn, refund_id, otn, order["transaction_id"], refund, total, "PROCESSING",
                        req.get("notify_url"), req.get("reason"), self._now()))
            tx.execute("UPDATE orders SET refunded = refunded + ?, state = 'REFUND' WHERE out_trade_no = ?",
                       (refund, otn))
            row = tx.execute("SELECT * FROM refunds WHERE out_refund_no = ?", (orn,)).fetchone()
        return 200, self._refund_view(row)

    def query_refund(self, out_refund_no: str) -> tuple[int, dict[str, Any]]:
        row = self.store.one("SELECT * FROM refunds WHERE out_refund_no = ?", (out_refund_no,))
        if row is None:
            return 404, {"code": "RESOURCE_NOT_EXISTS", "message": "退款单不存在"}
        return 200, self._refund_view(row)

    def complete_refunds(self) -> list[str]:
        """The bank side: PROCESSING refunds succeed; each gets its refund notice."""
        done = []
        for r in self.store.all("SELECT * FROM refunds WHERE status = 'PROCESSING'"):
            now = self._now()
            cur = self.store.execute("UPDATE refunds SET status = 'SUCCESS', success_time = ?, succeeded_at = ? "
                                     "WHERE out_refund_no = ? AND status = 'PROCESSING'",
                                     (_rfc3339(now), now, r["out_refund_no"]))
            if cur.rowcount != 1:
                continue
            done.append(r["out_refund_no"])
            if r["notify_url"]:
                resource = {"mchid": self.mchid, "out_trade_no": r["out_trade_no"],
                            "transaction_id": r["transaction_id"],
                            "out_refund_no": r["out_refund_no"], "refund_id": r["refund_id"],
                            "refund_status": "SUCCESS", "success_time": _rfc3339(now),
                            "user_received_account": "支付用户零钱",
                            "amount": {"total": r["total"], "refund": r["refund"], "payer_total": r["total"],
                                       "payer_refund": r["refund"]}}
                self._queue_notice(r["out_refund_no"], "refund", r["notify_url"],
                                   self.notice_body(resource, "REFUND.SUCCESS", "refund", "退款成功"))
        return done

    # -- the resident pays (hook) ------------------------------------------------------------------

    def pay(self, prepay_id: str) -> dict[str, Any] | None:
        with self.store.transaction() as tx:
            row = tx.execute("SELECT * FROM orders WHERE prepay_id = ?", (prepay_id,)).fetchone()
            if row is None:
                return None
            if row["state"] == "NOTPAY":
                if row["time_expire"] and dt.datetime.fromisoformat(row["time_expire"]) < self._local_now():
                    return {"error": "order_expired"}
                now = self._now()
                txn = "4200" + dt.datetime.fromtimestamp(now, TZ).strftime("%Y%m%d") \
                    + str(secrets.randbelow(10**10)).zfill(10)
                tx.execute("UPDATE orders SET state = 'SUCCESS', transaction_id = ?, success_time = ?, paid_at = ? "
                           "WHERE out_trade_no = ?", (txn, _rfc3339(now), now, row["out_trade_no"]))
            elif row["state"] == "CLOSED":
                return {"error": "order_closed"}
            row = tx.execute("SELECT * FROM orders WHERE prepay_id = ?", (prepay_id,)).fetchone()
        return self._transaction(row) | {"notify_url": row["notify_url"]}

    def queue_payment_notice(self, prepay_id: str) -> str | None:
        """The payment notice for a paid order (queued once; the same notice id thereafter)."""
        row = self.store.one("SELECT * FROM orders WHERE prepay_id = ?", (prepay_id,))
        if row is None or row["transaction_id"] is None:
            return None
        existing = self.store.one("SELECT id FROM notices WHERE ref = ? AND kind = 'transaction'",
                                  (row["out_trade_no"],))
        if existing:
            notice_id: str = existing["id"]
            return notice_id
        t = self._transaction(row)
        t["trade_state"], t["trade_state_desc"] = "SUCCESS", "支付成功"
        return self._queue_notice(row["out_trade_no"], "transaction", row["notify_url"],
                                  self.notice_body(t, "TRANSACTION.SUCCESS", "transaction", "支付成功"))

    def _queue_notice(self, ref: str, kind: str, url: str, body: str) -> str:
        nid: str = json.loads(body)["id"]
        self.store.execute("INSERT INTO notices (id, ref, kind, url, body, attempts, next_at, state, created_at) "
                           "VALUES (?,?,?,?,?,0,?,?,?)",
                           (nid, ref, kind, url, body, self._now(), "pending", self._now()))
        return nid

    def notices(self, ref: str) -> list[dict[str, Any]]:
        return [{"id": r["id"], "kind": r["kind"], "url": r["url"], "body": r["body"], "attempts": r["attempts"],
                 "state": r["state"], "last_status": r["last_status"],
                 "headers": json.loads(r["sent_headers"]) if r["sent_headers"] else None}
                for r in self.store.all("SELECT * FROM notices WHERE ref = ? ORDER BY created_at", (ref,))]

    async def deliver(self, notice_id: str, *, retry: bool = True) -> int:
        """POST one notice (re-signed now, as WeChat Pay does on every try). Returns the HTTP status
        (599 when unreachable). A failure schedules the next try on the real schedule."""
        row = self.store.one("SELECT * FROM notices WHERE id = ?", (notice_id,))
        if row is None:
            return 404
        headers = {"Content-Type": "application/json", **self.sign_headers(row["body"])}
        try:
            resp = await AsyncHTTPClient().fetch(HTTPRequest(row["url"], method="POST", body=row["body"].encode(),
                                                             headers=headers, request_timeout=5),
                                                 raise_error=False)
            status = resp.code
        except Exception:  # noqa: BLE001 - unreachable notify URL counts as a failed try
            status = 599
        attempts = row["attempts"] + 1
        ok = 200 <= status < 300
        if ok:
            state, next_at = "delivered", None
        elif not retry:
            state, next_at = row["state"], row["next_at"]
        elif attempts > len(RETRY_SCHEDULE):
            state, next_at = "failed", None
        else:
            state, next_at = "pending", self._now() + RETRY_SCHEDULE[attempts - 1] * self.retry_factor
        if ok or retry:
            self.store.execute("UPDATE notices SET attempts = ?, state = ?, next_at = ?, last_status = ?, "
                               "sent_headers = ? WHERE id = ?",
                               (attempts, state, next_at, status, json.dumps(headers), notice_id))
        else:
            self.store.execute("UPDATE notices SET attempts = ?, last_status = ?, sent_headers = ? WHERE id = ?",
                               (attempts, status, json.dumps(headers), notice_id))
        return status

    async def run_due(self) -> int:
        """One pass of the notifier: finish refunds, then send every notice that is due."""
        self.complete_refunds()
        due = self.store.all("SELECT id FROM notices WHERE state = 'pending' AND next_at <= ? "
                             "ORDER BY next_at LIMIT 100",
                             (self._now(),))
        for r in due:
            await self.deliver(r["id"])
        return len(due)

    # -- bills -------------------------------------------------------------------------------------

    def trade_bill_url(self, bill_date: str) -> tuple[int, dict[str, Any]]:
        try:
            day = dt.date.fromisoformat(bill_date)
        except ValueError:
            return 400, {"code": "PARAM_ERROR", "message": "bill_date 格式错误"}
        if not self.bill_ready(day):
            return 400, {"code": "NO_STATEMENT_EXIST", "message": "账单尚未生成"}
        token = secrets.token_urlsafe(18)
        self.store.execute("INSERT INTO bills VALUES (?, ?, ?)", (token, bill_date, self._now()))
        text = self.trade_bill(bill_date)
        return 200, {"hash_type": "SHA1", "hash_value": hashlib.sha1(text.encode()).hexdigest(),
                     "download_url": f"{self.base_url}/v3/billdownload/file?token={token}&tartype=gzip"}

    def bill_file(self, token: str) -> bytes | None:
        row = self.store.one("SELECT * FROM bills WHERE token = ?", (token,))
        if row is None or self._now() - row["created_at"] > 30:
            return None  # the download URL is short-lived
        return gzip.compress(self.trade_bill(row["bill_date"]).encode())

    def trade_bill(self, bill_date: str) -> str:
        """The ALL trade bill of one day (Beijing time), in WeChat Pay's text format."""
        day = dt.date.fromisoformat(bill_date)
        start = dt.datetime.combine(day, dt.time(), TZ).timestamp()
        end = start + 86400
        head = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
                "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,"
                "退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")
        lines = [head]
        paid_total = refund_total = fee_total = 0
        rows = self.store.all("SELECT * FROM orders WHERE paid_at >= ? AND paid_at < ? ORDER BY paid_at", (start, end))

        def y(fen: int) -> str:
            return f"{fen / 100:.2f}"

        for o in rows:
            fee = round(o["total"] * 0.006)
            paid_total += o["total"]
            fee_total += fee
            t = dt.datetime.fromtimestamp(o["paid_at"], TZ).strftime("%Y-%m-%d %H:%M:%S")
            vals = [t, o["appid"], o["mchid"], "0", "", o["transaction_id"], o["out_trade_no"], o["openid"], "JSAPI",
                    "SUCCESS", "OTHERS", "CNY", y(o["total"]), "0.00", "0", "0", "0.00", "0.00", "", "",
                    o["description"], "", f"{fee / 100:.5f}", "0.60%", y(o["total"]), "0.00", ""]
            lines.append(",".join("`" + v for v in vals))
        for r in self.store.all("SELECT r.*, o.appid, o.mchid, o.openid, o.description FROM refunds r JOIN orders o "
                                "ON o.out_trade_no = r.out_trade_no WHERE r.succeeded_at >= ? AND r.succeeded_at < ? "
                                "ORDER BY r.succeeded_at", (start, end)):
            refund_total += r["refund"]
            t = dt.datetime.fromtimestamp(r["succeeded_at"], TZ).strftime("%Y-%m-%d %H:%M:%S")
            vals = [t, r["appid"], r["mchid"], "0", "", r["transaction_id"], r["out_trade_no"], r["openid"], "JSAPI",
                    "REFUND", "OTHERS", "CNY", "0.00", "0.00", r["refund_id"], r["out_refund_no"], y(r["refund"]),
                    "0.00", "ORIGINAL", "SUCCESS", r["description"], "", "0.00000", "0.60%", "0.00", y(r["refund"]), ""]
            lines.append(",".join("`" + v for v in vals))
        lines.append("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额")
        lines.append(",".join("`" + v for v in [str(len(rows)), y(paid_total), y(refund_total), "0.00",
                                                    f"{fee_total / 100:.5f}", y(paid_total), y(refund_total)]))
        return "\r\n".join(lines) + "\r\n"

    # -- test helpers ------------------------------------------------------------------------------


# -- HTTP ----------------------------------------------------------------------------------------------

class _Protocol(BaseHandler):
    """The APIv3 endpoints: signed requests in, signed JSON out."""

    def initialize(self, standin: WeChatPayStandin) -> None:  # type: ignore[override]
        super().initialize()
        self.standin = standin

    def _path(self) -> str:
        return self.request.uri[len(PREFIX):] if self.request.uri.startswith(PREFIX) else self.request.uri

    def check(self) -> bool:
        body = self.request.body.decode("utf-8", "replace")
        err = self.standin.check_authorization(self.request.method, self._path(),
                                               self.request.headers.get("Authorization", ""), body)
        if err:
            self.answer(401, {"code": err, "message": "签名错误"})
            return False
        return True

    def json_body(self) -> dict[str, Any]:
        try:
            v = json.loads(self.request.body or b"{}")
            return v if isinstance(v, dict) else {}
        except ValueError:
            return {}

    def answer(self, status: int, payload: dict[str, Any] | None) -> None:
        body = "" if payload is None else json.dumps(payload, ensure_ascii=False)
        self.set_status(status)
        for k, v in self.standin.sign_headers(body).items():
            self.set_header(k, v)
        if payload is not None:
            self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(body.encode() if body else None)


class JsapiHandler(_Protocol):
    @operation("（替身）JSAPI/小程序下单", tags=TAGS, responses={200: Response(description="prepay_id")})
    def post(self) -> None:
        if self.check():
            self.answer(*self.standin.jsapi(self.json_body()))


class QueryHandler(_Protocol):
    @operation("（替身）商户订单号查询订单", tags=TAGS, responses={200: Response(description="订单")})
    def get(self, out_trade_no: str) -> None:
        if self.check():
            self.answer(*self.standin.query(out_trade_no, self.get_query_argument("mchid", "")))


class CloseHandler(_Protocol):
    @operation("（替身）关闭订单", tags=TAGS, responses={204: Response(description="已关闭")})
    def post(self, out_trade_no: str) -> None:
        if self.check():
            self.answer(*self.standin.close(out_trade_no, self.json_body()))


class RefundHandler(_Protocol):
    @operation("（替身）申请退款", tags=TAGS, responses={200: Response(description="退款单")})
    def post(self) -> None:
        if self.check():
            self.answer(*self.standin.refund(self.json_body()))


class RefundQueryHandler(_Protocol):
    @operation("（替身）查询单笔退款", tags=TAGS, responses={200: Response(description="退款单")})
    def get(self, out_refund_no: str) -> None:
        if self.check():
            self.answer(*self.standin.query_refund(out_refund_no))


class TradeBillHandler(_Protocol):
    @operation("（替身）申请交易账单", tags=TAGS, responses={200: Response(description="下载地址")})
    def get(self) -> None:
        if self.check():
            self.answer(*self.standin.trade_bill_url(self.get_query_argument("bill_date", "")))


class BillDownloadHandler(_Protocol):
    @operation("（替身）下载账单文件", tags=TAGS, responses={200: Response(content_type="application/octet-stream")})
    def get(self) -> None:
        if not self.check():
            return
        data = self.standin.bill_file(self.get_query_argument("token", ""))
        if data is None:
            self.answer(400, {"code": "INVALID_REQUEST", "message": "下载地址已失效"})
            return
        self.set_header("Content-Type", "application/octet-stream")
        self.finish(data)


# -- sandbox hooks (our JSON shape) ------------------------------------------------------------------

class _Hook(ApiHandler):
    def initialize(self, standin: WeChatPayStandin) -> None:  # type: ignore[override]
        super().initialize()
        self.standin = standin


HOOK_RESULT = obj({"out_trade_no": string(), "transaction_id": string(), "notice_id": {"type": ["string", "null"]},
                   "notify_status": {"type": ["integer", "null"]}}, ["out_trade_no"])


class ConfirmHook(_Hook):
    @operation("沙箱：居民在微信中完成支付（替身随即发送签名加密的支付通知）", tags=("沙箱",),
               body=obj({"prepay_id": string(minLength=1, maxLength=64),
                         "notify": boolean(description="false: 付款成功但通知丢失（用于验证主动查单）")},
                        ["prepay_id"]),
               responses={200: HOOK_RESULT}, errors=(400, 404, 409))
    async def post(self) -> None:
        from backend.core import errors
        from sandbox.errors import payment_refused
        paid = self.standin.pay(self.body["prepay_id"])
        if paid is None:
            raise errors.NotFound("预支付交易不存在")
        if "error" in paid:
            raise payment_refused(paid["error"], "订单已关闭或已过期，无法支付")
        nid, status = None, None
        if self.body.get("notify", True):
            nid = self.standin.queue_payment_notice(self.body["prepay_id"])
            status = await self.standin.deliver(nid) if nid else None
        self.reply({"out_trade_no": paid["out_trade_no"], "transaction_id": paid["transaction_id"],
                    "notice_id": nid, "notify_status": status})


class ResendHook(_Hook):
    @operation("沙箱：再次发送该笔支付的通知（与之前相同；微信支付会重复通知）", tags=("沙箱",),
               body=obj({"prepay_id": string(minLength=1, maxLength=64)}, ["prepay_id"]),
               responses={200: HOOK_RESULT}, errors=(400, 404))
    async def post(self) -> None:
        from backend.core import errors
        nid = self.standin.queue_payment_notice(self.body["prepay_id"])
        if nid is None:
            raise errors.NotFound("该笔交易尚未支付，没有通知")
        row = self.standin.store.one("SELECT ref FROM notices WHERE id = ?", (nid,))
        assert row is not None  # the notice was just queued (or found) under this id
        status = await self.standin.deliver(nid, retry=False)
        self.reply({"out_trade_no": row["ref"], "notice_id": nid, "notify_status": status})


NOTICE = obj({"id": string(), "kind": string(), "url": string(), "body": string(), "attempts": {"type": "integer"},
              "state": string(), "last_status": {"type": ["integer", "null"]},
              "headers": {"type": ["object", "null"]}}, ["id", "kind", "body", "state"])


class NoticesHook(_Hook):
    @operation("沙箱：替身为某订单或退款单发出的通知（含重试次数）", tags=("沙箱",),
               query=obj({"ref": string(minLength=1, maxLength=64)}, ["ref"]),
               responses={200: list_of(NOTICE)}, errors=(400,))
    async def get(self) -> None:
        self.reply({"items": self.standin.notices(self.query["ref"]), "next_cursor": None})


def protocol_handlers(standin: WeChatPayStandin) -> list[Route]:
    kw = {"standin": standin}
    return [
        route(PREFIX + "/v3/pay/transactions/jsapi", JsapiHandler, **kw),
        route(PREFIX + "/v3/pay/transactions/out-trade-no/{out_trade_no}/close", CloseHandler, **kw),
        route(PREFIX + "/v3/pay/transactions/out-trade-no/{out_trade_no}", QueryHandler, **kw),
        route(PREFIX + "/v3/refund/domestic/refunds/{out_refund_no}", RefundQueryHandler, **kw),
        route(PREFIX + "/v3/refund/domestic/refunds", RefundHandler, **kw),
        route(PREFIX + "/v3/bill/tradebill", TradeBillHandler, **kw),
        route(PREFIX + "/v3/billdownload/file", BillDownloadHandler, **kw),
    ]


def hook_handlers(standin: WeChatPayStandin) -> list[Route]:
    kw = {"standin": standin}
    return [
        route("/sandbox/wechatpay/confirm", ConfirmHook, **kw),
        route("/sandbox/wechatpay/resend", ResendHook, **kw),
        route("/sandbox/wechatpay/notices", NoticesHook, **kw),
    ]


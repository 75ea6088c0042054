"""The Alipay stand-in: ``gateway.do`` of the Alipay open platform, in its own protocol.

The real ``python-alipay-sdk`` talks to it with only the gateway URL changed: requests are
RSA2-signed query strings (checked against the application's public key), answers are
``{"<method>_response": {...}, "sign": "..."}`` signed with the Alipay private key over the
exact response text. Async notices are form posts RSA2-signed over the sorted parameters
(without ``sign`` and ``sign_type``); anything but the text ``success`` is a failure, resent on
Alipay's schedule (4m, 10m, 10m, 1h, 2h, 6h, 15h) × ``payments.sandbox_retry_factor``, with
the same ``notify_id``. The trade bill is a zip of GBK CSV files in Alipay's layout.

Trade, payment and refund times, the day a trade lands on in the bill and the notice retries come
from the server's ``Clock`` (the movable sandbox clock), so the bills agree with the payments.

Hook: ``POST /sandbox/alipay/confirm {out_trade_no, notify?}`` pays as the resident would.
State lives in ``DATA_DIR/sandbox/alipay.sqlite``.
"""
from __future__ import annotations

import base64
import datetime as dt
import io
import json
import secrets
import zipfile
from typing import Any, Callable
from urllib.parse import parse_qsl, urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from backend.core.api import ApiHandler, BaseHandler, Response, operation, route
from backend.core.clock import TZ, Clock
from backend.core.domain import Route
from backend.core.schema import boolean, list_of, obj, string
from payments.providers import fen_to_yuan, yuan_to_fen
from sandbox.paykeys import rsa_private_key, rsa_public_key
from sandbox.state import StandinStore

PREFIX = "/sandbox/alipay"
RETRY_SCHEDULE = (240, 600, 600, 3600, 7200, 21600, 54000)
TAGS = ("沙箱：支付宝替身",)

SCHEMA = """
CREATE TABLE IF NOT EXISTS trades (out_trade_no TEXT PRIMARY KEY, trade_no TEXT, app_id TEXT, subject TEXT,
    total INTEGER, notify_url TEXT, time_expire TEXT, status TEXT, qr_code TEXT, buyer_id TEXT,
    gmt_create TEXT, gmt_payment TEXT, paid_at REAL, refunded INTEGER DEFAULT 0, created_at REAL);
CREATE TABLE IF NOT EXISTS refunds (out_request_no TEXT, out_trade_no TEXT, amount INTEGER, created_at REAL,
    PRIMARY KEY (out_trade_no, out_request_no));
CREATE TABLE IF NOT EXISTS notices (id TEXT PRIMARY KEY, ref TEXT, url TEXT, params TEXT, attempts INTEGER,
    next_at REAL, state TEXT, last_status INTEGER, last_answer TEXT, created_at REAL);
CREATE TABLE IF NOT EXISTS bills (token TEXT PRIMARY KEY, bill_date TEXT, created_at REAL);
"""


def _text(ts: float) -> str:
    """Alipay's time format (Beijing time, to the second)."""
    return dt.datetime.fromtimestamp(ts, TZ).strftime("%Y-%m-%d %H:%M:%S")


class AlipayStandin:
    def __init__(self, path: str, *, app_id: str, seller_id: str, app_public_pem: str, alipay_private_pem: str,
                 clock: Clock, retry_factor: float = 1.0, base_url: str = "",
                 bill_ready: Callable[[dt.date], bool] | None = None):
        self.store = StandinStore(path, SCHEMA)
        self.clock = clock
        self.app_id = app_id
        self.seller_id = seller_id
        self.app_public = rsa_public_key(app_public_pem)
        self.private = rsa_private_key(alipay_private_pem)
        self.retry_factor = retry_factor
        self.base_url = base_url.rstrip("/")
        # When is a day's bill published (Alipay: the next day); None: once the day has begun.
        self.bill_ready = bill_ready or (lambda day: day <= self._local_now().date())

    def _now(self) -> float:
        """The server's time as a timestamp: what every business time here is stamped with."""
        return self.clock.now().timestamp()

    def _local_now(self) -> dt.datetime:
        return self.clock.now().astimezone(TZ)

    def _sign(self, text: str) -> str:
        return base64.b64encode(self.private.sign(text.encode(), PKCS1v15(), SHA256())).decode()

    def sign_params(self, params: dict[str, str]) -> dict[str, str]:
        """A notice's parameters with ``sign`` (over the sorted params without sign/sign_type)."""
        unsigned = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sign", "sign_type") and v != "")
        return {**params, "sign": self._sign(unsigned)}

    def check_request(self, params: dict[str, str]) -> bool:
        sign = params.get("sign", "")
        unsigned = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign")
        try:
            self.app_public.verify(base64.b64decode(sign), unsigned.encode(), PKCS1v15(), SHA256())
            return True
        except (InvalidSignature, ValueError):
            return False

    def answer(self, method: str, payload: dict[str, Any]) -> str:
        inner = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        key = method.replace(".", "_") + "_response"
        return '{"%s":%s,"sign":"%s"}' % (key, inner, self._sign(inner))

    # -- gateway.do ------------------------------------------------------------------------------

    def gateway(self, params: dict[str, str]) -> tuple[str, str]:
        method = params.get("method", "")
        if not self.check_request(params):
            return "json", self.answer(method, {"code": "40002", "msg": "Invalid Arguments",
                                                "sub_code": "isv.invalid-signature", "sub_msg": "验签出错"})
        if params.get("app_id") != self.app_id:
            return "json", self.answer(method, {"code": "40002", "msg": "Invalid Arguments",
                                                "sub_code": "isv.invalid-app-id", "sub_msg": "无效的AppID参数"})
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            biz = {}
        handler = {
            "alipay.trade.precreate": self.precreate, "alipay.trade.wap.pay": self.precreate,
            "alipay.trade.query": self.query, "alipay.trade.close": self.close, "alipay.trade.refund": self.refund,
            "alipay.trade.fastpay.refund.query": self.refund_query,
            "alipay.data.dataservice.bill.downloadurl.query": self.bill_url,
        }.get(method)
        if handler is None:
            return "json", self.answer(method, {"code": "40004", "msg": "Business Failed",
                                                "sub_code": "isv.invalid-method", "sub_msg": "不存在的方法名"})
        result = handler(biz, params)
        if method == "alipay.trade.wap.pay":
            if result.get("code") != "10000":
                return "html", f"<h1>支付宝（沙箱）</h1><p>{result.get('sub_msg')}</p>"
            return "html", (f"<!doctype html><meta charset=utf-8><title>支付宝（沙箱）收银台</title>"
                            f"<h1>支付宝（沙箱）收银台</h1><p>订单 {biz.get('out_trade_no')}，"
                            f"金额 {biz.get('total_amount')} 元</p>")
        return "json", self.answer(method, result)

    def precreate(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        otn = str(biz.get("out_trade_no") or "")
        try:
            total = yuan_to_fen(str(biz.get("total_amount")))
        except ValueError:
            total = 0
        if not otn or total <= 0 or not biz.get("subject"):
            return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.INVALID_PARAMETER",
                    "sub_msg": "参数无效"}
        with self.store.transaction() as tx:
            row = tx.execute("SELECT * FROM trades WHERE out_trade_no = ?", (otn,)).fetchone()
            if row is not None:
                if row["total"] != total:
                    return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.CONTEXT_INCONSISTENT",
                            "sub_msg": "交易信息被篡改"}
                if row["status"] in ("TRADE_SUCCESS", "TRADE_FINISHED"):
                    return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_HAS_SUCCESS",
                            "sub_msg": "交易已被支付"}
                return {"code": "10000", "msg": "Success", "out_trade_no": otn, "qr_code": row["qr_code"]}
            qr = "https://qr.alipay.com/bax0" + secrets.token_hex(10)
            now = self._now()
            tx.execute("INSERT INTO trades (out_trade_no, app_id, subject, total, notify_url, time_expire, status, "
                       "qr_code, gmt_create, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                       (otn, params["app_id"], biz["subject"], total, params.get("notify_url"), biz.get("time_expire"),
                        "WAIT_BUYER_PAY", qr, _text(now), now))
        return {"code": "10000", "msg": "Success", "out_trade_no": otn, "qr_code": qr}

    def _trade(self, biz: dict[str, Any]) -> Any:
        return self.store.one("SELECT * FROM trades WHERE out_trade_no = ?", (str(biz.get("out_trade_no") or ""),))

    @staticmethod
    def _not_exist() -> dict[str, Any]:
        return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在"}

    def query(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        t = self._trade(biz)
        if t is None:
            return self._not_exist()
        out = {"code": "10000", "msg": "Success", "out_trade_no": t["out_trade_no"], "trade_status": t["status"],
               "total_amount": fen_to_yuan(t["total"])}
        if t["trade_no"]:
            out.update({"trade_no": t["trade_no"], "buyer_user_id": t["buyer_id"],
                        "buyer_logon_id": "sandbox***@alipay.com",
                        "send_pay_date": t["gmt_payment"], "receipt_amount": fen_to_yuan(t["total"]),
                        "buyer_pay_amount": fen_to_yuan(t["total"])})
        return out

    def close(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        with self.store.transaction() as tx:
            t = tx.execute("SELECT * FROM trades WHERE out_trade_no = ?",
                           (str(biz.get("out_trade_no") or ""),)).fetchone()
            if t is None:
                return self._not_exist()
            if t["status"] != "WAIT_BUYER_PAY" and t["status"] != "TRADE_CLOSED":
                return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_STATUS_ERROR",
                        "sub_msg": "交易状态不合法"}
            tx.execute("UPDATE trades SET status = 'TRADE_CLOSED' WHERE out_trade_no = ?", (t["out_trade_no"],))
        return {"code": "10000", "msg": "Success", "out_trade_no": t["out_trade_no"]}

    def refund(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        otn, orn = str(biz.get("out_trade_no") or ""), str(biz.get("out_request_no") or "")
        try:
            amount = yuan_to_fen(str(biz.get("refund_amount")))
        except ValueError:
            amount = 0
        with self.store.transaction() as tx:
            t = tx.execute("SELECT * FROM trades WHERE out_trade_no = ?", (otn,)).fetchone()
            if t is None or t["trade_no"] is None:
                return self._not_exist()
            prior = tx.execute("SELECT * FROM refunds WHERE out_trade_no = ? AND out_request_no = ?",
                               (otn, orn)).fetchone()
            base = {"code": "10000", "msg": "Success", "trade_no": t["trade_no"], "out_trade_no": otn,
                    "buyer_logon_id": "sandbox***@alipay.com"}
            if prior is not None:  # the same out_request_no refunds once
                if prior["amount"] != amount:
                    return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
                            "sub_msg": "退款金额与原请求不一致"}
                return {**base, "fund_change": "N", "refund_fee": fen_to_yuan(t["refunded"])}
            if amount <= 0 or amount > t["total"] - t["refunded"]:
                return {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.REFUND_AMOUNT_EXCEED",
                        "sub_msg": "退款金额超限"}
            now = self._now()
            tx.execute("INSERT INTO refunds VALUES (?, ?, ?, ?)", (orn, otn, amount, now))
            tx.execute("UPDATE trades SET refunded = refunded + ?, status = CASE WHEN refunded + ? >= total "
                       "THEN 'TRADE_CLOSED' ELSE status END WHERE out_trade_no = ?", (amount, amount, otn))
            refunded = t["refunded"] + amount
        return {**base, "fund_change": "Y", "refund_fee": fen_to_yuan(refunded), "gmt_refund_pay": _text(now)}

    def refund_query(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        otn, orn = str(biz.get("out_trade_no") or ""), str(biz.get("out_request_no") or "")
        r = self.store.one("SELECT * FROM refunds WHERE out_trade_no = ? AND out_request_no = ?", (otn, orn))
        if r is None:
            return {"code": "10000", "msg": "Success"}  # Alipay answers an empty success for an unknown request
        return {"code": "10000", "msg": "Success", "out_trade_no": otn, "out_request_no": orn,
                "refund_amount": fen_to_yuan(r["amount"]), "refund_status": "REFUND_SUCCESS"}

    def bill_url(self, biz: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
        try:
            day = dt.date.fromisoformat(str(biz.get("bill_date")))
        except ValueError:
            return {"code": "40004", "msg": "Business Failed", "sub_code": "isv.invalid-bill-date",
                    "sub_msg": "日期格式错误"}
        if not self.bill_ready(day):
            return {"code": "40004", "msg": "Business Failed", "sub_code": "isp.bill_not_exist",
                    "sub_msg": "账单不存在"}
        token = secrets.token_urlsafe(18)
        self.store.execute("INSERT INTO bills VALUES (?, ?, ?)", (token, str(biz.get("bill_date")), self._now()))
        return {"code": "10000", "msg": "Success", "bill_download_url": f"{self.base_url}/bill?token={token}"}

    def bill_file(self, token: str) -> bytes | None:
        row = self.store.one("SELECT * FROM bills WHERE token = ?", (token,))
        if row is None or self._now() - row["created_at"] > 30:
            return None
        day = dt.date.fromisoformat(row["bill_date"])
        start = dt.datetime.combine(day, dt.time(), TZ).timestamp()
        end = start + 86400
        head = ("支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
                "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
                "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注")
        lines = ["#支付宝业务明细查询", f"#账号：[{self.seller_id}0156]",
                 f"#起始日期：[{day:%Y年%m月%d日} 00:00:00]   "
                 f"终止日期：[{day + dt.timedelta(days=1):%Y年%m月%d日} 00:00:00]",
                 "#-----------------------------------------业务明细列表----------------------------------------", head]
        n, total, refund_total = 0, 0, 0
        for t in self.store.all("SELECT * FROM trades WHERE paid_at >= ? AND paid_at < ? ORDER BY paid_at",
                                (start, end)):
            n += 1
            total += t["total"]
            lines.append(",".join([t["trade_no"] + "\t", t["out_trade_no"] + "\t", "交易", t["subject"],
                                   t["gmt_create"],
                                   t["gmt_payment"], "", "", "", "", "sandbox***@alipay.com", fen_to_yuan(t["total"]),
                                   fen_to_yuan(t["total"]), "0.00", "0.00", "0.00", "0.00", "0.00", "", "0.00", "0.00",
                                   "", f"-{fen_to_yuan(round(t['total'] * 0.006))}", "0.00", ""]))
        for r in self.store.all("SELECT r.*, t.trade_no, t.subject, t.gmt_create FROM refunds r JOIN trades t "
                                "ON t.out_trade_no = r.out_trade_no WHERE r.created_at >= ? AND r.created_at < ?",
                                (start, end)):
            n += 1
            refund_total += r["amount"]
            lines.append(",".join([r["trade_no"] + "\t", r["out_trade_no"] + "\t", "退款", r["subject"],
                                   r["gmt_create"],
                                   _text(r["created_at"]), "", "", "", "", "sandbox***@alipay.com",
                                   "-" + fen_to_yuan(r["amount"]), "-" + fen_to_yuan(r["amount"]), "0.00", "0.00",
                                   "0.00", "0.00", "0.00", "", "0.00", "0.00", r["out_request_no"], "0.00", "0.00",
                                   ""]))
        lines += ["#-----------------------------------------业务明细列表结束------------------------------------",
                  f"#交易合计：{n}笔，商家实收：{fen_to_yuan(total)}元，退款合计：{fen_to_yuan(refund_total)}元",
                  f"#导出时间：[{self._local_now():%Y年%m月%d日 %H:%M:%S}]"]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(f"{self.seller_id}0156_{day:%Y%m%d}_业务明细.csv", "\r\n".join(lines).encode("gbk"))
            z.writestr(f"{self.seller_id}0156_{day:%Y%m%d}_业务明细(汇总).csv", "#汇总\r\n".encode("gbk"))
        return buf.getvalue()

    # -- the resident pays (hook) and notices ------------------------------------------------------------

    def pay(self, out_trade_no: str) -> dict[str, Any] | None:
        with self.store.transaction() as tx:
            t = tx.execute("SELECT * FROM trades WHERE out_trade_no = ?", (out_trade_no,)).fetchone()
            if t is None:
                return None
            if t["status"] == "TRADE_CLOSED":
                return {"error": "order_closed"}
            if t["status"] == "WAIT_BUYER_PAY":
                if t["time_expire"] and dt.datetime.strptime(t["time_expire"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ) \
                        < self._local_now():
                    return {"error": "order_expired"}
                now = self._now()
                trade_no = dt.datetime.fromtimestamp(now, TZ).strftime("%Y%m%d") + "22001" \
                    + str(secrets.randbelow(10**13)).zfill(13)
                tx.execute("UPDATE trades SET status = 'TRADE_SUCCESS', trade_no = ?, gmt_payment = ?, paid_at = ?, "
                           "buyer_id = ? WHERE out_trade_no = ?",
                           (trade_no, _text(now), now, "2088" + str(secrets.randbelow(10**12)).zfill(12),
                            out_trade_no))
            t = tx.execute("SELECT * FROM trades WHERE out_trade_no = ?", (out_trade_no,)).fetchone()
        return dict(t)

    def queue_notice(self, out_trade_no: str) -> str | None:
        t = self.store.one("SELECT * FROM trades WHERE out_trade_no = ?", (out_trade_no,))
        if t is None or t["trade_no"] is None or not t["notify_url"]:
            return None
        existing = self.store.one("SELECT id FROM notices WHERE ref = ?", (out_trade_no,))
        if existing:
            notice_id: str = existing["id"]
            return notice_id
        notify_id = f"{self._local_now():%Y}" + secrets.token_hex(14)
        params = self.notice_params(t, notify_id)
        self.store.execute("INSERT INTO notices VALUES (?, ?, ?, ?, 0, ?, 'pending', NULL, NULL, ?)",
                           (notify_id, out_trade_no, t["notify_url"], json.dumps(params, ensure_ascii=False),
                            self._now(), self._now()))
        return notify_id

    def notice_params(self, t: Any, notify_id: str, **overrides: str) -> dict[str, str]:
        params = {"notify_time": _text(self._now()), "notify_type": "trade_status_sync", "notify_id": notify_id,
                  "app_id": t["app_id"], "charset": "utf-8", "version": "1.0", "sign_type": "RSA2",
                  "trade_no": t["trade_no"], "out_trade_no": t["out_trade_no"], "buyer_id": t["buyer_id"],
                  "seller_id": self.seller_id, "trade_status": "TRADE_SUCCESS", "total_amount": fen_to_yuan(t["total"]),
                  "receipt_amount": fen_to_yuan(t["total"]), "buyer_pay_amount": fen_to_yuan(t["total"]),
                  "subject": t["subject"], "gmt_create": t["gmt_create"], "gmt_payment": t["gmt_payment"]}
        params.update(overrides)
        return self.sign_params(params)

    async def deliver(self, notice_id: str, *, retry: bool = True) -> str:
        row = self.store.one("SELECT * FROM notices WHERE id = ?", (notice_id,))
        if row is None:
            return "missing"
        body = urlencode(json.loads(row["params"]))
        try:
            resp = await AsyncHTTPClient().fetch(HTTPRequest(
                row["url"], method="POST", body=body, request_timeout=5,
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}), raise_error=False)
            status, answer = resp.code, (resp.body or b"").decode("utf-8", "replace").strip()
        except Exception:  # noqa: BLE001 - unreachable counts as a failed try
            status, answer = 599, ""
        attempts = row["attempts"] + 1
        ok = status == 200 and answer == "success"
        if ok:
            state, next_at = "delivered", None
        elif not retry:
            state, next_at = row["state"], row["next_at"]
        elif attempts > len(RETRY_SCHEDULE):
            state, next_at = "failed", None
        else:
            state, next_at = "pending", self._now() + RETRY_SCHEDULE[attempts - 1] * self.retry_factor
        self.store.execute("UPDATE notices SET attempts = ?, state = ?, next_at = ?, last_status = ?, last_answer = ? "
                           "WHERE id = ?", (attempts, state, next_at, status, answer[:100], notice_id))
        return answer

    async def run_due(self) -> int:
        due = self.store.all("SELECT id FROM notices WHERE state = 'pending' AND next_at <= ? LIMIT 100",
                             (self._now(),))
        for r in due:
            await self.deliver(r["id"])
        return len(due)

    def notices(self, ref: str) -> list[dict[str, Any]]:
        return [{"id": r["id"], "kind": "trade_status_sync", "url": r["url"],
                 "body": urlencode(json.loads(r["params"])),
                 "attempts": r["attempts"], "state": r["state"], "last_status": r["last_status"], "headers": None}
                for r in self.store.all("SELECT * FROM notices WHERE ref = ? ORDER BY created_at", (ref,))]


# -- HTTP -----------------------------------------------------------------------------------------------

class GatewayHandler(BaseHandler):
    def initialize(self, standin: AlipayStandin) -> None:  # type: ignore[override]
        super().initialize()
        self.standin = standin

    def _params(self) -> dict[str, str]:
        params = {k: v[-1].decode("utf-8", "replace") for k, v in self.request.query_arguments.items()}
        if self.request.body:
            params.update(dict(parse_qsl(self.request.body.decode("utf-8", "replace"))))
        return params

    def _answer(self) -> None:
        kind, text = self.standin.gateway(self._params())
        self.set_header("Content-Type",
                        "text/html; charset=utf-8" if kind == "html" else "application/json;charset=utf-8")
        self.finish(text.encode())

    @operation("（替身）支付宝开放平台网关", tags=TAGS, responses={200: Response(description="签名的 JSON 应答")})
    def get(self) -> None:
        self._answer()

    @operation("（替身）支付宝开放平台网关", tags=TAGS, responses={200: Response(description="签名的 JSON 应答")})
    def post(self) -> None:
        self._answer()


class BillHandler(GatewayHandler):
    @operation("（替身）账单文件下载", tags=TAGS, responses={200: Response(content_type="application/zip")})
    def get(self) -> None:
        data = self.standin.bill_file(self.get_query_argument("token", ""))
        if data is None:
            self.set_status(404)
            self.finish("expired")
            return
        self.set_header("Content-Type", "application/zip")
        self.finish(data)


class _Hook(ApiHandler):
    def initialize(self, standin: AlipayStandin) -> None:  # type: ignore[override]
        super().initialize()
        self.standin = standin


class ConfirmHook(_Hook):
    @operation("沙箱：居民用支付宝完成支付（替身随即发送 RSA2 签名的异步通知）", tags=("沙箱",),
               body=obj({"out_trade_no": string(minLength=1, maxLength=64),
                         "notify": boolean(description="false: 付款成功但通知丢失")}, ["out_trade_no"]),
               responses={200: obj({"out_trade_no": string(), "trade_no": string(),
                                    "notice_id": {"type": ["string", "null"]},
                                    "notify_answer": {"type": ["string", "null"]}}, ["out_trade_no"])},
               errors=(400, 404, 409))
    async def post(self) -> None:
        from backend.core import errors
        from sandbox.errors import payment_refused
        t = self.standin.pay(self.body["out_trade_no"])
        if t is None:
            raise errors.NotFound("交易不存在（二维码尚未生成）")
        if "error" in t:
            raise payment_refused(t["error"], "交易已关闭或已过期，无法支付")
        nid, answer = None, None
        if self.body.get("notify", True):
            nid = self.standin.queue_notice(t["out_trade_no"])
            answer = await self.standin.deliver(nid) if nid else None
        self.reply({"out_trade_no": t["out_trade_no"], "trade_no": t["trade_no"], "notice_id": nid,
                    "notify_answer": answer})


class ResendHook(_Hook):
    @operation("沙箱：再次发送该笔交易的异步通知（notify_id 不变）", tags=("沙箱",),
               body=obj({"out_trade_no": string(minLength=1, maxLength=64)}, ["out_trade_no"]),
               responses={200: obj({"notice_id": string(), "notify_answer": string()}, ["notice_id"])},
               errors=(400, 404))
    async def post(self) -> None:
        from backend.core import errors
        nid = self.standin.queue_notice(self.body["out_trade_no"])
        if nid is None:
            raise errors.NotFound("该笔交易尚未支付")
        self.reply({"notice_id": nid, "notify_answer": await self.standin.deliver(nid, retry=False)})


class NoticesHook(_Hook):
    @operation("沙箱：支付宝替身为某订单发出的通知", tags=("沙箱",),
               query=obj({"ref": string(minLength=1, maxLength=64)}, ["ref"]),
               responses={200: list_of({"type": "object"})}, errors=(400,))
    async def get(self) -> None:
        self.reply({"items": self.standin.notices(self.query["ref"]), "next_cursor": None})


def protocol_handlers(standin: AlipayStandin) -> list[Route]:
    kw = {"standin": standin}
    return [route(PREFIX + "/gateway.do", GatewayHandler, **kw), route(PREFIX + "/bill", BillHandler, **kw)]


def hook_handlers(standin: AlipayStandin) -> list[Route]:
    kw = {"standin": standin}
    return [route("/sandbox/alipay/confirm", ConfirmHook, **kw), route("/sandbox/alipay/resend", ResendHook, **kw),
            route("/sandbox/alipay/notices", NoticesHook, **kw)]

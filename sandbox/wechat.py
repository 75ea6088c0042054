"""The WeChat stand-in: the parts of api.weixin.qq.com we use, speaking WeChat's own protocol.

- ``GET  /cgi-bin/token``                  access tokens (7200 s), appid/secret checked; as at
                                            WeChat, a new token retires the previous ones after
                                            5 minutes
- ``GET  /sns/jscode2session``             wx.login codes to openids
- ``POST /cgi-bin/message/subscribe/send`` subscribe messages, consent quotas honoured
- ``POST /cityservice/face/identify/getinfo`` the result of a face verification (人脸核身) by its
                                            ``verify_result``: WeChat's answer shape (errcode,
                                            identify_ret, identify_time, openid, the MD5s of the ID
                                            number and the name …), the access token checked

Codes: ``test-<x>`` gives openid ``o-test-<x>`` (reusable, for scripted walks); codes issued by
``POST /sandbox/wechat/login-codes`` work once within 5 minutes, like real ones; ``used-<x>``,
``risky-<x>`` and ``busy-<x>`` answer 40163, 40226 and 45011; anything else 40029.
Face verifications are made by ``POST /sandbox/wechat/face-verify`` (acting as the resident going
through ``wx.startFacialRecognitionVerify``): a passing one has identify_ret 0, a failing one one of
WeChat's documented codes (10001 参数错误, 10002 人脸特征检测失败, 10003 身份证号不匹配, 10004 比对人脸信息
不匹配, 10020 认证超时; 10004 unless another is asked for). Like WeChat's, the result of a
verify_result may be read again while it lasts; using it once is the product's business.
Everything it receives is kept in ``DATA_DIR/sandbox/wechat.sqlite``. Login codes and messages are
stamped by the server's ``Clock`` (the movable sandbox clock); access tokens expire by the wall
clock, as our token cache (``backend.core.wechat``) and WeChat itself count their lifetime.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
from typing import Any

from backend.core.api import ApiHandler, BaseHandler, Response, operation, route
from backend.core.clock import UTC, Clock, wall_now
from backend.core.domain import Route
from backend.core.schema import array, integer, list_of, obj, string
from sandbox.state import StandinStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, appid TEXT, expires_at REAL);
CREATE TABLE IF NOT EXISTS codes (code TEXT PRIMARY KEY, openid TEXT, expires_at REAL, used_at REAL);
CREATE TABLE IF NOT EXISTS quota (openid TEXT, template_id TEXT, n INTEGER, PRIMARY KEY (openid, template_id));
CREATE TABLE IF NOT EXISTS messages (msgid INTEGER PRIMARY KEY AUTOINCREMENT, openid TEXT, template_id TEXT,
    page TEXT, data TEXT, state TEXT, received_at REAL);
CREATE INDEX IF NOT EXISTS messages_openid ON messages (openid);
CREATE TABLE IF NOT EXISTS faces (verify_result TEXT PRIMARY KEY, openid TEXT, id_md5 TEXT, name_md5 TEXT,
    ret INTEGER, identify_time INTEGER, expires_at REAL);
CREATE TABLE IF NOT EXISTS faults (name TEXT PRIMARY KEY, remaining INTEGER);
"""
TAGS = ("沙箱：微信替身",)
TOKEN_TTL = 7200
TOKEN_OVERLAP = 300  # seconds the previous token keeps working after a new one is issued
CODE_TTL = 300
FACE_RESULT_TTL = 24 * 3600   # how long the stand-in answers for a verify_result
FACE_FAILURES = {10001: "参数错误", 10002: "人脸特征检测失败", 10003: "身份证号不匹配", 10004: "比对人脸信息不匹配",
                 10020: "认证超时"}
WX_RESPONSE = Response(schema={"type": "object"}, description="微信接口的 JSON 应答（errcode/errmsg）")


class WeChatStandin:
    def __init__(self, path: str, appid: str, secret: str, *, clock: Clock):
        self.store = StandinStore(path, SCHEMA)
        self.appid = appid
        self.secret = secret
        self.clock = clock

    def _now(self) -> float:
        """The server's time as a timestamp (login codes, messages)."""
        return self.clock.now().timestamp()

    # -- protocol ------------------------------------------------------------------------------

    def token(self, appid: str, secret: str, grant_type: str) -> dict[str, Any]:
        if grant_type != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if appid != self.appid:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if secret != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        token = secrets.token_urlsafe(48)
        now = wall_now().timestamp()  # token lifetimes are real time (see the module note)
        with self.store.transaction() as tx:
            tx.execute("UPDATE tokens SET expires_at = MIN(expires_at, ?) WHERE appid = ?",
                       (now + TOKEN_OVERLAP, appid))
            tx.execute("INSERT INTO tokens VALUES (?, ?, ?)", (token, appid, now + TOKEN_TTL))
        return {"access_token": token, "expires_in": TOKEN_TTL}

    def code2session(self, appid: str, secret: str, code: str) -> dict[str, Any]:
        if appid != self.appid:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if secret != self.secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        fault = self._take_fault("code2session_busy")
        if fault or code.startswith("busy-"):
            return {"errcode": 45011, "errmsg": "api minute-quota reach limit mustslower retry next minute"}
        if code.startswith("test-") and len(code) > 5:
            return self._session("o-" + code)
        if code.startswith("used-"):
            return {"errcode": 40163, "errmsg": "code been used"}
        if code.startswith("risky-"):
            return {"errcode": 40226, "errmsg": "invalid user, high risk"}
        with self.store.transaction() as tx:
            row = tx.execute("SELECT openid, expires_at, used_at FROM codes WHERE code = ?", (code,)).fetchone()
            if row is None or row["expires_at"] < self._now():
                return {"errcode": 40029, "errmsg": "invalid code"}
            if row["used_at"] is not None:
                return {"errcode": 40163, "errmsg": "code been used"}
            tx.execute("UPDATE codes SET used_at = ? WHERE code = ?", (self._now(), code))
        return self._session(row["openid"])

    def _session(self, openid: str) -> dict[str, Any]:
        key = hashlib.sha256(f"{self.secret}:{openid}".encode()).digest()[:16]
        return {"openid": openid, "session_key": base64.b64encode(key).decode()}

    def check_token(self, token: str) -> dict[str, Any] | None:
        row = self.store.one("SELECT expires_at FROM tokens WHERE token = ?", (token,))
        if row is None:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        if row["expires_at"] < wall_now().timestamp():
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    def send_subscribe(self, token: str, body: bytes) -> dict[str, Any]:
        bad = self.check_token(token)
        if bad:
            return bad
        if self._take_fault("send_rate_limited"):
            return {"errcode": 45009, "errmsg": "reach max api daily quota limit"}
        try:
            msg = json.loads(body)
        except ValueError:
            return {"errcode": 47001, "errmsg": "data format error"}
        touser, template_id, data = msg.get("touser"), msg.get("template_id"), msg.get("data")
        if not (isinstance(touser, str) and touser and isinstance(template_id, str) and template_id
                and isinstance(data, dict)):
            return {"errcode": 47003, "errmsg": "argument invalid!"}
        for key, item in data.items():
            if not (isinstance(item, dict) and isinstance(item.get("value"), str)):
                return {"errcode": 47003, "errmsg": f"argument invalid! data.{key}.value invalid"}
        with self.store.transaction() as tx:
            row = tx.execute("SELECT n FROM quota WHERE openid = ? AND template_id = ?",
                             (touser, template_id)).fetchone()
            if row is None or row["n"] <= 0:
                return {"errcode": 43101, "errmsg": "user refuse to accept the msg"}
            tx.execute("UPDATE quota SET n = n - 1 WHERE openid = ? AND template_id = ?", (touser, template_id))
            cur = tx.execute("INSERT INTO messages (openid, template_id, page, data, state, received_at) "
                             "VALUES (?, ?, ?, ?, ?, ?)", (touser, template_id, msg.get("page"),
                                                           json.dumps(data, ensure_ascii=False),
                                                           msg.get("miniprogram_state"), self._now()))
        return {"errcode": 0, "errmsg": "ok", "msgid": cur.lastrowid}

    def face_info(self, token: str, body: bytes) -> dict[str, Any]:
        """``cityservice/face/identify/getinfo``: what WeChat knows of one face verification."""
        bad = self.check_token(token)
        if bad:
            return bad
        try:
            req = json.loads(body)
        except ValueError:
            return {"errcode": 47001, "errmsg": "data format error"}
        verify_result = req.get("verify_result") if isinstance(req, dict) else None
        if not isinstance(verify_result, str) or not verify_result:
            return {"errcode": 40097, "errmsg": "invalid args"}
        row = self.store.one("SELECT * FROM faces WHERE verify_result = ?", (verify_result,))
        if row is None or row["expires_at"] < self._now():
            return {"errcode": 40097, "errmsg": "invalid args, verify_result not found or expired"}
        return {"errcode": 0, "errmsg": "ok", "identify_ret": row["ret"], "identify_time": row["identify_time"],
                "validate_data": "", "openid": row["openid"],
                "user_id_key": hashlib.sha256(f"uik:{verify_result}".encode()).hexdigest()[:32],
                "finish_time": row["identify_time"], "id_card_number_md5": row["id_md5"],
                "name_utf8_md5": row["name_md5"]}

    # -- hooks (acting as the resident in WeChat, or as WeChat misbehaving) ---------------------

    def issue_face(self, openid: str, name: str, id_number: str, passed: bool, ret: int | None = None) -> str:
        """The resident ``openid`` goes through face verification for this name and ID number: its
        verify_result, which passes or fails (``ret``: one of WeChat's failure codes)."""
        verify_result = secrets.token_urlsafe(32)
        now = self._now()
        self.store.execute("INSERT INTO faces VALUES (?, ?, ?, ?, ?, ?, ?)", (
            verify_result, openid, hashlib.md5(id_number.strip().upper().encode()).hexdigest(),
            hashlib.md5(name.strip().encode("utf-8")).hexdigest(), 0 if passed else (ret or 10004), int(now),
            now + FACE_RESULT_TTL))
        return verify_result

    def issue_code(self, openid: str) -> str:
        code = "wx" + secrets.token_hex(12)
        self.store.execute("INSERT INTO codes VALUES (?, ?, ?, NULL)", (code, openid, self._now() + CODE_TTL))
        return code

    def accept_templates(self, openid: str, template_ids: list[str], count: int) -> dict[str, int]:
        with self.store.transaction() as tx:
            for tid in template_ids:
                tx.execute("INSERT INTO quota VALUES (?, ?, ?) ON CONFLICT (openid, template_id) "
                           "DO UPDATE SET n = n + excluded.n", (openid, tid, count))
        return self.quota(openid)

    def quota(self, openid: str) -> dict[str, int]:
        return {r["template_id"]: r["n"] for r in self.store.all("SELECT template_id, n FROM quota WHERE openid = ?",
                                                                 (openid,))}

    def messages(self, openid: str) -> list[dict[str, Any]]:
        rows = self.store.all("SELECT * FROM messages WHERE openid = ? ORDER BY msgid", (openid,))
        return [{"msgid": r["msgid"], "openid": r["openid"], "template_id": r["template_id"], "page": r["page"],
                 "data": json.loads(r["data"]),
                 "received_at": dt.datetime.fromtimestamp(r["received_at"], UTC).isoformat(timespec="seconds")}
                for r in rows]

    def tokens_issued(self) -> int:
        row = self.store.one("SELECT COUNT(*) AS n FROM tokens", ())
        assert row is not None  # COUNT always answers one row
        return int(row["n"])

    def expire_tokens(self) -> None:
        self.store.execute("UPDATE tokens SET expires_at = 0")

    def set_fault(self, name: str, remaining: int) -> None:
        self.store.execute("INSERT INTO faults VALUES (?, ?) "
                           "ON CONFLICT (name) DO UPDATE SET remaining = excluded.remaining",
                           (name, remaining))

    def _take_fault(self, name: str) -> bool:
        """One of the faults a test set, if any is left. Most calls find none: a plain read
        answers them, and only a fault that is there is taken, by a guarded decrement."""
        if self.store.one("SELECT 1 FROM faults WHERE name = ? AND remaining > 0", (name,)) is None:
            return False
        taken = self.store.execute("UPDATE faults SET remaining = remaining - 1 WHERE name = ? AND remaining > 0",
                                   (name,))
        return taken.rowcount == 1


class _StandinHandler(BaseHandler):
    def initialize(self, standin: WeChatStandin) -> None:  # type: ignore[override]
        super().initialize()
        self.standin = standin

    def answer(self, payload: dict[str, Any]) -> None:
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(payload, ensure_ascii=False))


class TokenHandler(_StandinHandler):
    @operation("（替身）获取 access_token", tags=TAGS, responses={200: WX_RESPONSE})
    def get(self) -> None:
        a = self.get_query_argument
        self.answer(self.standin.token(a("appid", ""), a("secret", ""), a("grant_type", "")))


class Code2SessionHandler(_StandinHandler):
    @operation("（替身）code2Session", tags=TAGS, responses={200: WX_RESPONSE})
    def get(self) -> None:
        a = self.get_query_argument
        self.answer(self.standin.code2session(a("appid", ""), a("secret", ""), a("js_code", "")))


class FaceInfoHandler(_StandinHandler):
    @operation("（替身）获取人脸核身结果", tags=TAGS, responses={200: WX_RESPONSE})
    def post(self) -> None:
        self.answer(self.standin.face_info(self.get_query_argument("access_token", ""), self.request.body))


class SubscribeSendHandler(_StandinHandler):
    @operation("（替身）发送订阅消息", tags=TAGS, responses={200: WX_RESPONSE})
    def post(self) -> None:
        self.answer(self.standin.send_subscribe(self.get_query_argument("access_token", ""), self.request.body))


# -- sandbox hooks (our JSON and error shape) ------------------------------------------------------

MESSAGE = obj({"msgid": integer(), "openid": string(), "template_id": string(), "page": {"type": ["string", "null"]},
               "data": {"type": "object"}, "received_at": string()}, ["msgid", "openid", "template_id", "data"])


class _HookHandler(ApiHandler):
    def initialize(self, standin: WeChatStandin) -> None:  # type: ignore[override]
        super().initialize()
        self.standin = standin


class MessagesHook(_HookHandler):
    @operation("沙箱：微信替身收到的订阅消息", tags=("沙箱",), query=obj({"openid": string(minLength=1, maxLength=128)},
                                                                ["openid"]),
               responses={200: list_of(MESSAGE)}, errors=(400,))
    async def get(self) -> None:
        self.reply({"items": self.standin.messages(self.query["openid"]), "next_cursor": None})


class LoginCodeHook(_HookHandler):
    @operation("沙箱：为某 openid 签发一次性登录 code（模拟 wx.login）", tags=("沙箱",),
               body=obj({"openid": string(minLength=3, maxLength=128)}, ["openid"]),
               responses={201: obj({"code": string()}, ["code"])}, errors=(400,))
    async def post(self) -> None:
        self.reply({"code": self.standin.issue_code(self.body["openid"])}, 201)


class FaceVerifyHook(_HookHandler):
    @operation("沙箱：模拟居民在小程序中完成人脸核身（wx.startFacialRecognitionVerify），得到 verify_result",
               tags=("沙箱",),
               body=obj({"openid": string(minLength=3, maxLength=128), "name": string(maxLength=64),
                         "id_number": string(maxLength=64), "pass": {"type": "boolean"},
                         "identify_ret": integer(enum=sorted(FACE_FAILURES))},
                        ["openid", "name", "id_number", "pass"]),
               responses={200: obj({"verify_result": string()}, ["verify_result"])}, errors=(400,))
    async def post(self) -> None:
        b = self.body
        self.reply({"verify_result": self.standin.issue_face(b["openid"], b["name"], b["id_number"], b["pass"],
                                                             b.get("identify_ret"))})


class SubscriptionsHook(_HookHandler):
    @operation("沙箱：模拟用户在订阅弹窗中接受模板（增加一次性订阅额度）", tags=("沙箱",),
               body=obj({"openid": string(minLength=3, maxLength=128),
                         "template_ids": array(string(minLength=1, maxLength=128), minItems=1, maxItems=5),
                         "count": integer(minimum=1, maximum=100)}, ["openid", "template_ids"]),
               responses={200: obj({"quota": {"type": "object"}}, ["quota"])}, errors=(400,))
    async def post(self) -> None:
        b = self.body
        self.reply({"quota": self.standin.accept_templates(b["openid"], b["template_ids"], b.get("count", 1))})


class TokensHook(_HookHandler):
    @operation("沙箱：微信替身已签发的 access_token 数量", tags=("沙箱",),
               responses={200: obj({"issued": integer()}, ["issued"])})
    async def get(self) -> None:
        self.reply({"issued": self.standin.tokens_issued()})


class FaultsHook(_HookHandler):
    @operation("沙箱：让微信替身出错（令牌过期、限流）", tags=("沙箱",),
               body=obj({"expire_tokens": {"type": "boolean"},
                         "code2session_busy": integer(minimum=0, maximum=1000),
                         "send_rate_limited": integer(minimum=0, maximum=1000)}),
               responses={200: obj({"ok": {"type": "boolean"}}, ["ok"])}, errors=(400,))
    async def post(self) -> None:
        if self.body.get("expire_tokens"):
            self.standin.expire_tokens()
        for name in ("code2session_busy", "send_rate_limited"):
            if name in self.body:
                self.standin.set_fault(name, self.body[name])
        self.reply({"ok": True})


def protocol_handlers(standin: WeChatStandin) -> list[Route]:
    kw = {"standin": standin}
    return [
        route("/sandbox/wechat/cgi-bin/token", TokenHandler, **kw),
        route("/sandbox/wechat/sns/jscode2session", Code2SessionHandler, **kw),
        route("/sandbox/wechat/cgi-bin/message/subscribe/send", SubscribeSendHandler, **kw),
        route("/sandbox/wechat/cityservice/face/identify/getinfo", FaceInfoHandler, **kw),
    ]


def hook_handlers(standin: WeChatStandin) -> list[Route]:
    kw = {"standin": standin}
    return [
        route("/sandbox/wechat/messages", MessagesHook, **kw),
        route("/sandbox/wechat/login-codes", LoginCodeHook, **kw),
        route("/sandbox/wechat/face-verify", FaceVerifyHook, **kw),
        route("/sandbox/wechat/subscriptions", SubscriptionsHook, **kw),
        route("/sandbox/wechat/faults", FaultsHook, **kw),
        route("/sandbox/wechat/tokens", TokensHook, **kw),
    ]

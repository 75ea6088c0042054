"""Request and response shapes of the payment endpoints (published in /openapi.json)."""
from backend.core.schema import DATETIME, ID, array, boolean, integer, list_of, nullable, obj, string

ITEM = obj({"name": string(minLength=1, maxLength=40, description="收费项目名称"),
            "amount_fen": integer(minimum=1, maximum=100_000_000, description="金额（分）")}, ["name", "amount_fen"])
CREATE = obj({"application_id": ID,
              "serial": string(minLength=1, maxLength=32, description="办件编号（与 application_id 二选一）"),
              "items": array(ITEM, minItems=1, maxItems=20)}, ["items"])
PAY = obj({"channel": string(enum=["wechat", "alipay"]),
           "mode": string(enum=["qr", "wap"], description="支付宝：qr 扫码（默认）或 wap 手机网站")}, ["channel"])
CLOSE = obj({"reason": string(maxLength=100)})
REFUND = obj({"amount_fen": integer(minimum=1, maximum=100_000_000), "reason": string(minLength=1, maxLength=80),
              "request_id": string(minLength=8, maxLength=64, pattern=r"^[A-Za-z0-9_-]+$",
                                   description="幂等键：同一请求号只退一次")}, ["amount_fen", "reason", "request_id"])
RECONCILE = obj({"date": string(format="date", pattern=r"^\d{4}-\d{2}-\d{2}$"),
                 "channel": string(enum=["wechat", "alipay"])}, ["date", "channel"])
RECONCILE_QUERY = RECONCILE
LIST_QUERY = obj({"cursor": string(pattern=r"^[0-9a-f]{24}$", description="上一页返回的 next_cursor"), "limit": integer(minimum=1, maximum=100)})
STAFF_LIST_QUERY = obj({"cursor": string(pattern=r"^[0-9a-f]{24}$", description="上一页返回的 next_cursor"), "limit": integer(minimum=1, maximum=100),
                        "status": string(enum=["unpaid", "paid", "refunding", "refunded", "closed"]),
                        "application_id": string(maxLength=64),
                        "serial": string(maxLength=32, description="办件编号：只列该办件的缴款单")})
VERIFY_QUERY = obj({"code": string(minLength=1, maxLength=20), "number": string(minLength=1, maxLength=20),
                    "check": string(minLength=1, maxLength=20)}, ["code", "number", "check"])
RECEIPT_QUERY = obj({"number": string(minLength=1, maxLength=20), "code": string(maxLength=20)}, ["number"])

AMOUNT_ITEM = obj({"name": string(), "amount_fen": integer()}, ["name", "amount_fen"])
PAYMENT = obj({
    "id": string(), "status": string(enum=["unpaid", "paid", "closed", "refunding", "refunded"]),
    "status_text": string(), "amount_fen": integer(), "items": array(AMOUNT_ITEM),
    "out_trade_no": nullable(string()), "receipt_id": nullable(string()), "application_id": string(),
    "serial": string(), "service_name": string(), "refunded_fen": integer(), "refunding_fen": integer(),
    "paid_channel": nullable(string()), "paid_at": nullable(DATETIME), "expires_at": nullable(DATETIME),
    "closed_at": nullable(DATETIME), "close_reason": nullable(string()), "created_at": DATETIME,
}, ["id", "status", "amount_fen", "items", "out_trade_no", "receipt_id"], additional=True)
REFUND_VIEW = obj({"id": string(), "payment_id": string(), "request_id": string(), "out_refund_no": string(),
                   "amount_fen": integer(), "status": string(enum=["pending", "processing", "success", "failed"]),
                   "kind": string(), "reason": string(), "created_at": DATETIME, "succeeded_at": nullable(DATETIME)},
                  ["id", "amount_fen", "status"])
PAYER = obj({"id": string(), "name_masked": nullable(string()), "id_number_masked": nullable(string())},
            ["id", "name_masked", "id_number_masked"], description="缴款人（脱敏，完整信息须经审计的查看）")
STAFF_PAYMENT = obj({**PAYMENT["properties"], "payer_id": string(), "payer": PAYER,
                     "attempts": array({"type": "object"}),
                     "refunds": array(REFUND_VIEW)}, ["id", "status", "amount_fen", "attempts", "refunds"])
PAY_RESULT = obj({
    "channel": string(), "out_trade_no": string(), "expires_at": DATETIME,
    "request_payment": obj({"timeStamp": string(), "nonceStr": string(), "package": string(),
                            "signType": string(enum=["RSA"]), "paySign": string()},
                           ["timeStamp", "nonceStr", "package", "signType", "paySign"]),
    "qr_code": string(), "qr_png_base64": string(), "pay_url": string(),
}, ["channel"])
RECEIPT = obj({
    "id": string(), "payment_id": string(), "code": string(), "number": string(), "check_code": string(),
    "amount_fen": integer(), "amount_capitals": string(), "payer_masked": string(), "payee": string(),
    "issued_at": DATETIME, "items": array(AMOUNT_ITEM), "application_serial": string(),
    "signature": obj({"algorithm": string(), "key_id": string(), "value": string(), "signed_content": string()},
                     ["algorithm", "key_id", "value", "signed_content"]),
}, ["id", "payment_id", "code", "number", "check_code", "amount_fen", "payer_masked", "issued_at", "items"])
VERIFY = obj({"valid": boolean(), "amount_fen": integer(), "payer_masked": string(), "issued_at": DATETIME,
              "code": string(), "number": string(), "payee": string(), "items": array(AMOUNT_ITEM)},
             ["valid", "amount_fen", "payer_masked", "issued_at"])
PUBLIC_KEY = obj({"algorithm": string(), "key_id": string(), "public_key_pem": string(),
                  "canonical_form": string()}, ["algorithm", "key_id", "public_key_pem"])
REPORT = obj({"date": string(), "channel": string(), "generated_at": DATETIME, "bill_rows": integer(),
              "bill_net_fen": integer(), "local_rows": integer(), "local_net_fen": integer(), "matched": integer(),
              "missing": array({"type": "object"}), "extra": array({"type": "object"}),
              "mismatched": array({"type": "object"}), "balanced": boolean()},
             ["date", "channel", "missing", "extra", "mismatched", "balanced"], additional=True)

PAYMENTS = list_of(PAYMENT)
STAFF_PAYMENTS = list_of(obj({**PAYMENT["properties"], "payer": PAYER}, PAYMENT["required"], additional=True))
RECEIPTS = list_of(RECEIPT)

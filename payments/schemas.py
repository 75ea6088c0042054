"""Request and response shapes of the payment endpoints (published in /openapi.json)."""
from backend.core.schema import DATETIME, ID, array, boolean, integer, list_of, money, nullable, obj, string
from backend.signing.schemas import SIGNED, SIGNING_KEY

ITEM = obj({"name": string(minLength=1, maxLength=40, description="收费项目名称（比较前规范化：NFKC、去零宽字符）"),
            "item_code": string(pattern=r"^[0-9A-Za-z-]{1,32}$",
                                description="收费项目编码（办事指南中的非税收入项目编码）；给出时须是该事项的收费项目"),
            "amount_fen": money(minimum=1, maximum=100_000_000)}, ["name", "amount_fen"])
CREATE = obj({"application_id": ID,
              "serial": string(minLength=1, maxLength=32, description="办件编号（与 application_id 二选一）"),
              "items": array(ITEM, minItems=1, maxItems=20)}, ["items"])
PAY = obj({"channel": string(enum=["wechat", "alipay"]),
           "mode": string(enum=["qr", "wap"], description="支付宝：qr 扫码（默认）或 wap 手机网站")}, ["channel"])
CLOSE = obj({"reason": string(maxLength=100)})
REFUND = obj({"amount_fen": money(minimum=1, maximum=100_000_000), "reason": string(minLength=1, maxLength=80),
              "request_id": string(minLength=8, maxLength=64, pattern=r"^[A-Za-z0-9_-]+$",
                                   description="幂等键：同一请求号只退一次")}, ["amount_fen", "reason", "request_id"])
RECONCILE = obj({"date": string(format="date", pattern=r"^\d{4}-\d{2}-\d{2}$"),
                 "channel": string(enum=["wechat", "alipay"])}, ["date", "channel"])
RECONCILE_QUERY = RECONCILE
REPORTS_QUERY = obj({"days": integer(minimum=1, maximum=92, description="最近多少天（默认 14）")})
ACK = obj({"note": string(minLength=1, maxLength=200, description="处理说明")}, ["note"])
DAY_QUERY = obj({"date": string(format="date", pattern=r"^\d{4}-\d{2}-\d{2}$")}, ["date"])
LIST_QUERY = obj({"cursor": string(pattern=r"^[0-9a-f]{24}$", description="上一页返回的 next_cursor"),
                  "limit": integer(minimum=1, maximum=100)})
MY_LIST_QUERY = obj({**LIST_QUERY["properties"],
                     "application_id": string(pattern=r"^[0-9a-f]{24}$", description="只列该办件的缴款单")})
STAFF_LIST_QUERY = obj({"cursor": string(pattern=r"^[0-9a-f]{24}$", description="上一页返回的 next_cursor"),
                        "limit": integer(minimum=1, maximum=100),
                        "status": string(enum=["unpaid", "paid", "refunding", "refunded", "closed"]),
                        "application_id": string(maxLength=64),
                        "serial": string(maxLength=32, description="办件编号：只列该办件的缴款单"),
                        "q": string(minLength=2, maxLength=40,
                                    description="办件编号、缴款人完整姓名或完整身份证号（按密钥散列精确匹配）；"
                                                "给出时不再按状态筛选"),
                        "order": string(enum=["newest", "oldest"],
                                        description="newest 最新的在前（默认）；oldest 最早的在前（待办列表）")})
COUNTS = obj({"items": array(obj({"status": string(enum=["unpaid", "refunding"]), "count": integer(),
                                  "oldest_at": nullable(DATETIME)},
                                 ["status", "count", "oldest_at"]),
                             description="待缴费和退款中的缴款单数，及其中最早开具的时间")}, ["items"])
VERIFY_QUERY = obj({"code": string(minLength=1, maxLength=20), "number": string(minLength=1, maxLength=20),
                    "check": string(minLength=1, maxLength=20)}, ["code", "number", "check"])
RECEIPT_QUERY = obj({"number": string(minLength=1, maxLength=20), "code": string(maxLength=20)}, ["number"])

AMOUNT_ITEM = obj({"name": string(), "amount_fen": integer()}, ["name", "amount_fen"])
ORDER_ITEM = obj({"name": string(), "amount_fen": integer(),
                  "item_code": string(description="非税收入项目编码"), "payee_unit": string(description="收款单位"),
                  "unit_code": string(description="执收单位编码"),
                  "application_id": string(description="一件事缴款单：该项费用所属的办件"), "serial": string()},
                 ["name", "amount_fen"])
PAYMENT = obj({
    "id": string(), "status": string(enum=["unpaid", "paid", "closed", "refunding", "refunded"]),
    "status_text": string(), "amount_fen": integer(), "items": array(ORDER_ITEM),
    "out_trade_no": nullable(string()), "receipt_id": nullable(string()), "application_id": string(),
    "serial": string(), "service_name": string(), "refunded_fen": integer(), "refunding_fen": integer(),
    "raised_via": string(enum=["case", "bundle"], description="case 办件缴款单；bundle 一件事缴款单"),
    "raised_via_text": string(), "bundle_id": nullable(string()), "bundle_serial": nullable(string()),
    "case_note": string(description="按办件查看一件事缴款单时：该办件如何缴费，如“已通过一件事缴费（一件事编号 …）”"),
    "case_items": array(ORDER_ITEM), "case_amount_fen": integer(),
    "paid_channel": nullable(string()), "paid_at": nullable(DATETIME), "expires_at": nullable(DATETIME),
    "closed_at": nullable(DATETIME), "close_reason": nullable(string()), "created_at": DATETIME,
}, ["id", "status", "amount_fen", "items", "out_trade_no", "receipt_id"], additional=True)
REFUND_VIEW = obj({"id": string(), "payment_id": string(), "request_id": string(), "out_refund_no": string(),
                   "amount_fen": integer(), "status": string(enum=["pending", "processing", "success", "failed"]),
                   "kind": string(), "reason": string(), "created_at": DATETIME, "succeeded_at": nullable(DATETIME),
                   "red_receipt_id": nullable(string(description="红字票据（退款成功后开具）"))},
                  ["id", "amount_fen", "status"])
PAYER = obj({"id": string(), "name_masked": nullable(string()), "id_number_masked": nullable(string())},
            ["id", "name_masked", "id_number_masked"], description="缴款人（脱敏，完整信息须经审计的查看）")
STAFF_PAYMENT = obj({**PAYMENT["properties"], "payer_id": string(), "payer": PAYER,
                     "attempts": array({"type": "object"}),
                     "refunds": array(REFUND_VIEW),
                     "payee_unit": nullable(obj({"id": string(), "name": string(), "unit_code": string()},
                                                additional=True)),
                     "item_codes": array(string(), description="各收费项目的非税收入项目编码"),
                     "fee_keys": array(string(), description="各收费项目占用的“办件+收费项目”键")},
                    ["id", "status", "amount_fen", "attempts", "refunds"])
PAY_RESULT = obj({
    "channel": string(), "out_trade_no": string(), "expires_at": DATETIME,
    "request_payment": obj({"timeStamp": string(), "nonceStr": string(), "package": string(),
                            "signType": string(enum=["RSA"]), "paySign": string()},
                           ["timeStamp", "nonceStr", "package", "signType", "paySign"]),
    "qr_code": string(), "qr_png_base64": string(), "pay_url": string(),
}, ["channel"])
RECEIPT_STATUS = string(enum=["issued", "partially_refunded", "voided"],
                        description="issued 有效；partially_refunded 已部分退款（见 refunded_fen）；"
                                    "voided 已全额退款、被红字票据冲销")
NUMBERED = obj({"code": string(), "number": string()}, ["code", "number"], additional=True)
RECEIPT = obj({
    "id": string(), "kind": string(enum=["blue", "red"], description="blue 电子票据；red 红字票据（金额为负）"),
    "payment_id": string(), "code": string(), "number": string(), "check_code": string(),
    "amount_fen": integer(), "amount_capitals": string(), "payer_masked": string(), "payee": string(),
    "issued_at": DATETIME, "items": array(AMOUNT_ITEM), "application_serial": string(),
    "status": RECEIPT_STATUS, "refunded_fen": integer(), "verify_url": string(description="查验页面（二维码内容）"),
    "original": NUMBERED, "refund_id": string(),
    "signature": obj({"algorithm": string(), "key_id": string(), "value": string(), "signed_content": string()},
                     ["algorithm", "key_id", "value", "signed_content"]),
}, ["id", "kind", "payment_id", "code", "number", "check_code", "amount_fen", "payer_masked", "issued_at", "items",
    "status", "refunded_fen"])
VERIFY = obj({"valid": boolean(description="false：票据已被红字票据全额冲销"), "status": RECEIPT_STATUS,
              "kind": string(enum=["blue", "red"]), "refunded_fen": integer(description="已退款金额（分）"),
              "amount_fen": integer(), "payer_masked": string(), "issued_at": DATETIME,
              "code": string(), "number": string(), "payee": string(), "items": array(AMOUNT_ITEM),
              "original": NUMBERED, "red_receipts": array(obj({"code": string(), "number": string(),
                                                               "amount_fen": integer(), "issued_at": DATETIME},
                                                              ["code", "number", "amount_fen", "issued_at"])),
              **SIGNED},
             ["valid", "status", "kind", "refunded_fen", "amount_fen", "payer_masked", "issued_at",
              "key_id", "signature_b64", "signed"])
PUBLIC_KEY = obj({"algorithm": string(), "key_id": string(description="当前签名密钥"), "public_key_pem": string(),
                  "canonical_form": string(),
                  "keys": array(SIGNING_KEY, description="当前与已停用的票据签名密钥及其有效期")},
                 ["algorithm", "key_id", "public_key_pem", "keys"])
REPORT = obj({"id": string(), "date": string(), "channel": string(),
              "state": string(enum=["running", "waiting_bill", "failed", "done", "skipped"],
                              description="waiting_bill 渠道账单未出，稍后重试；"
                                          "failed 渠道暂不可用，稍后重试；done 已对账；"
                                          "skipped 停机过久，超出自动补对天数，请手工对账"),
              "generated_at": DATETIME, "bill_rows": integer(),
              "bill_net_fen": integer(), "local_rows": integer(), "local_net_fen": integer(), "matched": integer(),
              "missing": array({"type": "object"}), "extra": array({"type": "object"}),
              "mismatched": array({"type": "object"}),
              "other_day": array({"type": "object"}, description="账单中有、本地记在另一天的收款或退款"),
              "totals": obj({"bill": {"type": "object"}, "local": {"type": "object"}}, additional=True,
                            description="双方的笔数（收款、退款）、收款额、退款额、净额"),
              "differences": array(obj({"total": string(), "bill": integer(), "local": integer()},
                                       ["total", "bill", "local"]), description="不一致的合计"),
              "balanced": boolean(description="true：无差异明细，且笔数、收款额、退款额、净额全部一致"),
              "alert": boolean(description="不平且尚未处理：在财务控制台告警"),
              "acknowledged": obj({"by": string(), "at": DATETIME, "note": string()}, additional=True),
              "tries": integer(), "reason": nullable(string()), "last_try_at": DATETIME},
             ["id", "date", "channel", "state", "alert"], additional=True)
REPORTS = obj({"items": array(REPORT)}, ["items"])
PAYEE_UNIT = obj({"id": string(), "name": string(description="收款单位"),
                  "unit_code": string(description="执收单位编码"),
                  "account": string(description="收款账户"), "default_item_code": string(),
                  "items": array(obj({"code": string(description="非税收入项目编码"), "name": string()},
                                     ["code", "name"]))},
                 ["id", "name", "unit_code", "items"])
PAYEE_UNITS = obj({"items": array(PAYEE_UNIT)}, ["items"])
FEN3 = {"collected_fen": integer(description="收款"), "refunded_fen": integer(description="退款"),
        "due_fen": integer(description="应划拨（收款 − 退款）")}
CLEARING = obj({
    "date": string(),
    "units": array(obj({"unit_id": string(), "name": string(), "unit_code": string(), **FEN3,
                        "items": array(obj({"item_code": string(), "name": string(), "unit_code": string(), **FEN3},
                                           ["item_code", "name", "unit_code", "collected_fen"]))},
                       ["unit_id", "name", "unit_code", "collected_fen", "refunded_fen", "due_fen", "items"])),
    "total": obj({**FEN3, "unassigned_fen": integer(description="未能归属收款单位的金额（须核实）")}, list(FEN3)),
    "unassigned": array(obj({"kind": string(), "channel": string(), "out_trade_no": string(),
                             "out_refund_no": string(), "payment_id": string(), "item_name": string(),
                             "amount_fen": integer(), "reason": string()}, ["kind", "amount_fen", "reason"]),
                        description="未能归属收款单位的收款或退款（逐笔列出，须核实）"),
    "channels": array(obj({"channel": string(), "net_fen": integer(), "bill_net_fen": nullable(integer()),
                           "balanced": nullable(boolean())}, ["channel", "net_fen", "bill_net_fen", "balanced"])),
    "agrees_with_bills": nullable(boolean(description="各单位合计与渠道账单净额一致；null：尚有渠道未对账")),
}, ["date", "units", "total", "channels", "agrees_with_bills"])

PAYMENTS = list_of(PAYMENT)
STAFF_PAYMENTS = list_of(obj({**PAYMENT["properties"], "payer": PAYER}, PAYMENT["required"], additional=True))
RECEIPTS = list_of(RECEIPT)
RED_RECEIPTS = list_of(RECEIPT)

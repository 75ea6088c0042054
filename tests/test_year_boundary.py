"""The year boundary, the coming 31 Dec 23:59 → 1 Jan (Beijing time, by the server's clock, moved
forward to it whatever the year): receipt numbers gap-free per code and year and starting again at
1, case and bundle serials carrying the new day, and licence expiry dates across a year end."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from backend.core.clock import TZ
from backend.licences.service import expiry
from backend.licences.values import status_of
from tests.support import Api, coming_new_years_eve, new_resident
from tests.support_cases import eventually, relogin, submit
from tests.support_payments import (
    create_order,
    db_find,
    finance_token,
    pay_wechat,
    prepay_id,
    refund,
    settle_wechat_refunds,
)
from tests.test_bundles import apply, birth_form

EVE = coming_new_years_eve()
NEW_YEAR = EVE + dt.timedelta(days=1)
OLD, NEW = f"{EVE.year % 100:02d}", f"{NEW_YEAR.year % 100:02d}"


def _move_to(srv, when: dt.datetime) -> None:
    srv.clock.advance(seconds=(when - srv.clock.now()).total_seconds())


def _at(day: dt.date, hh: int, mm: int, ss: float = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), TZ) + dt.timedelta(seconds=ss)


def _confirm_all(api: Api, prepays: list[str]) -> None:
    def confirm(p: str) -> int:
        return Api(api.base).post("/sandbox/wechatpay/confirm", {"prepay_id": p}).json()["notify_status"]

    with ThreadPoolExecutor(max_workers=len(prepays)) as pool:
        assert list(pool.map(confirm, prepays)) == [204] * len(prepays)


def test_receipt_numbers_restart_at_one_each_year_gap_free_across_midnight(make_server) -> None:
    # The WeChat Pay stand-in may stamp its notices with the machine's time rather than the moved
    # clock; the receipts' issue time is the server's clock either way.
    srv = make_server(payments={"notice_max_skew_seconds": 100_000_000})
    api = Api(srv.base)
    prefix = srv.config.receipts.code_prefix
    orders = [create_order(api, srv, items=[{"name": "营业执照工本费", "amount_fen": 1000}]) for _ in range(8)]

    def prepays(some):  # noqa: ANN001, ANN202 - pay attempts started now (an order expires 30 min after)
        return [prepay_id(pay_wechat(api, relogin(api, r), o["id"])) for r, o in some]

    _move_to(srv, _at(EVE, 23, 58))
    first, straddling, after = prepays(orders[:2]), prepays(orders[2:6]), None
    _move_to(srv, _at(EVE, 23, 59))
    _confirm_all(api, first)
    # four notices at once, the clock a moment before midnight: some are issued in the old year, some in the new
    _move_to(srv, _at(EVE, 23, 59, 59.6))
    _confirm_all(api, straddling)
    _move_to(srv, _at(NEW_YEAR, 0, 0, 30))
    after = prepays(orders[6:])
    _confirm_all(api, after)
    # a refund in the new year of an old year's payment: its red-letter receipt is numbered in the new sequence
    token = finance_token(api)
    refund(api, token, orders[0][1]["id"], 1000, "全额退款")
    settle_wechat_refunds(srv)

    receipts = eventually(lambda: len(r := db_find(srv, "receipts", {}) + db_find(srv, "red_receipts", {})) == 9 and r)
    by_code: dict[str, list[int]] = defaultdict(list)
    for r in receipts:
        year = r["issued_at"].astimezone(TZ).year
        assert r["year"] == year and r["code"] == f"{prefix}{year % 100:02d}", r
        assert r["number"] == f"{r['seq']:010d}"
        by_code[r["code"]].append(r["seq"])
    assert set(by_code) == {f"{prefix}{OLD}", f"{prefix}{NEW}"}
    for code, seqs in by_code.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), (code, seqs)  # from 1, no gap, no repeat
    assert len(by_code[f"{prefix}{OLD}"]) >= 2 and len(by_code[f"{prefix}{NEW}"]) >= 3
    red = db_find(srv, "red_receipts", {})[0]
    assert red["code"] == f"{prefix}{NEW}" and red["content"]["original"]["code"] == f"{prefix}{OLD}"
    counters = {c["_id"]: c["seq"] for c in db_find(srv, "receipt_counters", {})}
    assert counters == {f"receipts:{code}:{2000 + int(code[-2:])}": len(seqs) for code, seqs in by_code.items()}


def test_case_and_bundle_serials_take_the_day_they_were_made_across_new_year(make_server) -> None:
    srv = make_server()
    api = Api(srv.base)
    _move_to(srv, _at(EVE, 23, 59, 10))
    old = [submit(api, new_resident(api, verified=True)) for _ in range(2)]
    bundle_old = apply(api, new_resident(api, verified=True), "birth", birth_form(),
                       ["birth_info", "parents_id", "parents_hukou"])
    assert bundle_old.status_code == 201, bundle_old.text
    _move_to(srv, _at(NEW_YEAR, 0, 0, 5))
    new = [submit(api, new_resident(api, verified=True)) for _ in range(2)]
    bundle_new = apply(api, new_resident(api, verified=True), "birth", birth_form(),
                       ["birth_info", "parents_id", "parents_hukou"])
    assert bundle_new.status_code == 201, bundle_new.text
    olds = sorted(c["serial"] for c in old)
    eve, day = f"{EVE:%Y%m%d}", f"{NEW_YEAR:%Y%m%d}"
    assert olds[0].startswith(f"ZJB{eve}") and olds[1].startswith(f"ZJB{eve}")
    assert sorted(c["serial"] for c in new)[:1] == [f"ZJB{day}000001"]
    assert bundle_old.json()["serial"] == f"YJS{eve}000001"
    assert bundle_new.json()["serial"] == f"YJS{day}000001"
    assert all(c["serial"].startswith(f"ZJB{day}") for c in bundle_new.json()["applications"])


def test_a_database_numbered_per_year_alone_goes_on_from_its_last_number(make_server) -> None:
    srv = make_server()
    api = Api(srv.base)
    year = srv.clock.now().astimezone(TZ).year
    srv.run(srv.ctx.db["receipt_counters"].insert_one({"_id": f"receipts:{year}", "seq": 41, "block": []}))
    resident, order = create_order(api, srv, items=[{"name": "营业执照工本费", "amount_fen": 1000}])
    _confirm_all(api, [prepay_id(pay_wechat(api, resident, order["id"]))])
    (r,) = eventually(lambda: db_find(srv, "receipts", {}))
    assert r["number"] == "0000000042" and r["code"] == f"{srv.config.receipts.code_prefix}{year % 100:02d}"


def test_licence_expiry_dates_cross_the_year_end_by_the_beijing_day_of_issue() -> None:
    eve, day = _at(dt.date(2026, 12, 31), 23, 59, 30), _at(dt.date(2027, 1, 1), 0, 0, 30)
    # 23:59:30 on 31 Dec is 15:59:30 UTC, 00:00:30 on 1 Jan is 16:00:30 UTC on 31 Dec: the Beijing day counts
    assert expiry(eve.astimezone(dt.timezone.utc), 365).astimezone(TZ).date() == dt.date(2027, 12, 30)
    assert expiry(day.astimezone(dt.timezone.utc), 365).astimezone(TZ).date() == dt.date(2027, 12, 31)
    # a year with 29 February: 366 days from 1 Jan 2028 end on 31 Dec 2028
    assert expiry(_at(dt.date(2028, 1, 1), 9, 0), 366).astimezone(TZ).date() == dt.date(2028, 12, 31)
    end = expiry(day, 1)  # one day: valid to the end of the day of issue, not 24 hours
    assert status_of("valid", end, _at(dt.date(2027, 1, 1), 23, 59, 59)) == "valid"
    assert status_of("valid", end, _at(dt.date(2027, 1, 2), 0, 0)) == "expired"

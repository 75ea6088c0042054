"""``python -m backend payments reconcile --date D --channel C``: the report, printed for people."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from backend.core import errors
from payments.receipts import yuan as fen_to_yuan


async def reconcile_command(reconciliation: Any, args: argparse.Namespace) -> int:
    try:
        day = dt.date.fromisoformat(args.date)
    except ValueError:
        print("日期格式应为 YYYY-MM-DD", file=sys.stderr)
        return 2
    try:
        report = await reconciliation.reconcile(day, args.channel, None)
    except errors.AppError as e:
        print(f"对账失败：{e.message} {e.details or ''}", file=sys.stderr)
        return 1
    print(f"对账 {report['date']} {args.channel}: "
          f"账单 {report['bill_rows']} 笔 净额 {fen_to_yuan(report['bill_net_fen'])} 元; "
          f"本地 {report['local_rows']} 笔 净额 {fen_to_yuan(report['local_net_fen'])} 元; 一致 {report['matched']} 笔")
    for label, key in (("账单有、本地无 (missing)", "missing"), ("本地有、账单无 (extra)", "extra"),
                       ("金额或单号不符 (mismatched)", "mismatched")):
        print(f"{label}: {len(report[key])}")
        for entry in report[key]:
            print("  " + json.dumps(entry, ensure_ascii=False, default=str))
    print("结果：平" if report["balanced"] else "结果：不平")
    return 0 if report["balanced"] else 3

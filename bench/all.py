"""Every bench, at 1, 2 and 4 processes where that applies, as one table.

    .venv/bin/python bench/all.py [--residents 200] [--messages 400]

Runs bench/booking_storm.py with serve --processes 1, 2, 4 (its references, the brief update and
/healthz, measured in the same run), bench/login_peak.py once, bench/notify.py with 1, 2, 4 worker
processes, bench/payments.py once, and bench/expiry.py once.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import machine  # noqa: E402


def run(args: list[str]) -> str:
    out = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    return out.stdout + out.stderr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--residents", type=int, default=200)
    ap.add_argument("--messages", type=int, default=400)
    args = ap.parse_args()
    rows = []
    for n in (1, 2, 4):
        out = run(["bench/booking_storm.py", "-n", str(args.residents), "--processes", str(n)])
        rps = re.search(r"→ (\d+) requests/s, (\d+) bookings/s", out)
        lat = re.search(r"p50 (\d+)\s+p95 (\d+)\s+p99 (\d+)", out)
        over = re.search(r"overbooked: (\d+)", out)
        raw = re.search(r"brief update .*?at once: (\d+)/s", out)
        rows.append(("booking storm", f"{n} app", f"{rps.group(1)} req/s, {rps.group(2)} bookings/s" if rps else "?",
                     f"p99 {lat.group(3)} ms" if lat else "?", f"overbooked {over.group(1)}" if over else out[-300:],
                     f"brief update {raw.group(1)}/s" if raw else ""))
    out = run(["bench/notify.py", "-n", str(args.messages)])
    for line in out.splitlines():
        m = re.match(r"\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", line)
        if m:
            rows.append(("notify", f"{m.group(1)} workers", f"{m.group(3)} msg/s", f"p99 {m.group(5)} ms",
                         f"duplicates {m.group(8)}", ""))
    out = run(["bench/login_peak.py"])
    both = re.search(r"login \+ binding\s+p50\s+(\d+) ms\s+p99\s+(\d+) ms", out)
    everything = re.search(r"\ball\s+p50\s+\d+ ms\s+p99\s+(\d+) ms", out)
    fails = re.search(r"failures by step and status: ([^;]*)", out)
    ref = re.search(r"brief update, \d+ at once: (\d+)/s", out)
    rows.append(("login peak (login + binding, then the home page)", "1 app",
                 f"login + binding p50 {both.group(1)} ms" if both else out[-300:],
                 f"login + binding p99 {both.group(2)} ms, everything p99 {everything.group(1)} ms"
                 if both and everything else "?",
                 f"failures {fails.group(1)}" if fails else "?", f"brief update {ref.group(1)}/s" if ref else ""))
    out = run(["bench/payments.py"])
    thr = re.search(r"throughput: (\d+) notices/s", out)
    p99 = re.search(r"latency ms: .*?p99 ([\d.]+)", out)
    ratio = re.search(r"notices ÷ brief update: ([\d.]+)× the rate", out)
    ref = re.search(r"brief update .*?before and after: (\d+)/s", out)
    rows.append(("payment notices", "1 app", f"{thr.group(1)} notices/s" if thr else out[-300:],
                 f"p99 {p99.group(1)} ms" if p99 else "?", "",
                 f"brief update {ref.group(1)}/s ({ratio.group(1)}×)" if ref and ratio else ""))
    out = run(["bench/expiry.py"])
    longest = re.findall(r"reads \d+: p50 [\d.]+ ms, p99 ([\d.]+) ms, longest (\d+) ms", out)
    ratio = re.search(r"longest read ([\d.]+)×", out)
    rows.append(("reads while documents expire", "database",
                 f"longest read {longest[0][1]} ms, p99 {longest[0][0]} ms" if longest else out[-300:], "",
                 f"÷ reference {ratio.group(1)}×" if ratio else "?",
                 f"SecantusDB's own sweeper: longest {longest[1][1]} ms" if len(longest) > 1 else ""))
    print(f"machine: {machine()}")
    print("| bench | processes | rate | latency | check | reference |\n|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()

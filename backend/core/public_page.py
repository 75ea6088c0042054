"""The shell of the public verification pages a document's QR code opens (e-receipts,
e-licences): Chinese, fits a phone, and loads nothing else (no scripts, no external styles or
images), so the page's Content-Security-Policy can be ``default-src 'none'``."""
from __future__ import annotations

from html import escape

CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
CONTENT_TYPE = "text/html; charset=UTF-8"

STYLE = """
body{margin:0;font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#f3f4f6;color:#1f2937}
main{max-width:34rem;margin:0 auto;padding:1rem}
h1{font-size:1.25rem;margin:.5rem 0 1rem}
.card{background:#fff;border-radius:.75rem;padding:1rem 1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.08);margin-bottom:1rem}
.badge{display:inline-block;padding:.25rem .75rem;border-radius:999px;font-weight:600;font-size:1.1rem}
.ok{background:#dcfce7;color:#166534}.warn{background:#fef3c7;color:#92400e}.bad{background:#fee2e2;color:#991b1b}
dl{display:grid;grid-template-columns:6.5rem 1fr;gap:.5rem .75rem;margin:0}
dt{color:#6b7280}dd{margin:0;word-break:break-all}
table{width:100%;border-collapse:collapse}td{padding:.35rem 0;border-bottom:1px solid #e5e7eb}
td.amount{text-align:right;white-space:nowrap}
.note{color:#6b7280;font-size:.85rem}
footer{color:#6b7280;font-size:.8rem;text-align:center;margin:1.5rem 0}
"""


def page(heading: str, title: str, body: str) -> str:
    """A whole page: ``heading`` above ``body`` (HTML, already escaped), ``title`` in the tab."""
    return ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
            f"<body><main><h1>{escape(heading)}</h1>{body}"
            "<footer>本页由指尖办政务服务平台提供，查验结果以签名数据为准。</footer></main></body></html>")


def definition_list(items: list[tuple[str, str]]) -> str:
    """A definition list of label and value, escaped."""
    return "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items) + "</dl>"

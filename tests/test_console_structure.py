"""The console's JavaScript stays in small pieces: no function body in ``console/js`` runs over
``MAX_LINES`` lines, so pages are composed of named render helpers (``console/js/views/<domain>/``)
instead of growing one long function each.

The parser is deliberately small: it blanks out comments, strings, template literals and regular
expressions, then measures, from its opening line to its closing brace, every ``function``
(declared or as an expression, at any depth) and every block-bodied arrow function (named by
assignment or passed anonymously)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

MAX_LINES = 40
JS_DIR = ROOT / "console" / "js"
# Written by scripts/gen_clients.py and scripts/gen_tables.py, not by hand.
GENERATED = {"error-messages.js", "status-labels.js", "audit-labels.js"}
GENERATED_DIRS = {"api"}

# After one of these tokens a ``/`` starts a regular expression, not a division.
_REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {""}
_REGEX_AFTER_WORDS = {"return", "typeof", "case", "do", "else", "in", "of", "void", "yield", "await"}


def blank(src: str) -> str:
    """``src`` with comments, string, template and regex contents replaced by spaces (newlines kept),
    so the braces and keywords left are code. Template ``${...}`` parts stay code."""
    out = list(src)
    i, n = 0, len(src)
    # Stack of open template literals; each entry is the brace depth inside its current ${ }.
    templates: list[int] = []

    def wipe(a: int, b: int) -> None:
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    def last_token(pos: int) -> str:
        k = pos - 1
        while k >= 0 and out[k] in " \t\r\n":
            k -= 1
        if k < 0:
            return ""
        if out[k].isalnum() or out[k] in "_$":
            j = k
            while j >= 0 and (out[j].isalnum() or out[j] in "_$"):
                j -= 1
            return "".join(out[j + 1:k + 1])
        return out[k]

    def template_text(start: int) -> int:
        """Blank template text from ``start`` up to its end or a ``${``; return where code resumes."""
        k = start
        while k < n:
            if src[k] == "\\":
                k += 2
                continue
            if src[k] == "`":
                wipe(start, k)
                templates.pop()
                return k + 1
            if src.startswith("${", k):
                wipe(start, k)
                return k + 2
            k += 1
        raise ValueError("unterminated template literal")

    while i < n:
        c = src[i]
        if src.startswith("//", i):
            j = src.find("\n", i)
            j = n if j < 0 else j
            wipe(i, j)
            i = j
        elif src.startswith("/*", i):
            j = src.index("*/", i + 2) + 2
            wipe(i, j)
            i = j
        elif c in "'\"":
            j = i + 1
            while src[j] != c:
                j += 2 if src[j] == "\\" else 1
            wipe(i + 1, j)
            i = j + 1
        elif c == "`":
            templates.append(0)
            i = template_text(i + 1)
        elif c == "{" and templates:
            templates[-1] += 1
            i += 1
        elif c == "}" and templates and templates[-1] == 0:
            i = template_text(i + 1)  # the end of a ${ } part: back into the template's text
        elif c == "}" and templates:
            templates[-1] -= 1
            i += 1
        elif c == "/":
            prev = last_token(i)
            if prev in _REGEX_AFTER or prev in _REGEX_AFTER_WORDS:
                j, in_class = i + 1, False
                while in_class or src[j] != "/":
                    if src[j] == "\\":
                        j += 1
                    elif src[j] == "[":
                        in_class = True
                    elif src[j] == "]":
                        in_class = False
                    j += 1
                wipe(i + 1, j)
                i = j + 1
            else:
                i += 1
        else:
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class Func:
    path: Path
    name: str
    first: int  # 1-based line of the function's head
    lines: int  # head line to closing-brace line, inclusive


_FUNCTION = re.compile(r"\bfunction\b\s*\*?\s*([A-Za-z_$][\w$]*)?\s*\(")
_ARROW = re.compile(r"=>\s*\{")
_NAMED_BY = re.compile(r"(?:([A-Za-z_$][\w$]*)\s*[=:]|\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=)\s*(?:async\s*)?"
                       r"(?:\([^()]*\)|[A-Za-z_$][\w$]*)\s*$")


def _close(code: str, open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(code)):
        if code[k] == "{":
            depth += 1
        elif code[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    raise ValueError("unbalanced braces")


def _matching_paren(code: str, open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(code)):
        if code[k] == "(":
            depth += 1
        elif code[k] == ")":
            depth -= 1
            if depth == 0:
                return k
    raise ValueError("unbalanced parentheses")


def functions(path: Path) -> list[Func]:
    code = blank(path.read_text(encoding="utf-8"))

    def line(pos: int) -> int:
        return code.count("\n", 0, pos) + 1

    found: list[Func] = []
    for m in _FUNCTION.finditer(code):
        body = code.index("{", _matching_paren(code, m.end() - 1))
        head = line(m.start())
        found.append(Func(path, m.group(1) or f"function@{head}", head, line(_close(code, body)) - head + 1))
    for m in _ARROW.finditer(code):
        body = m.end() - 1
        line_start = code.rfind("\n", 0, m.start()) + 1
        named = _NAMED_BY.search(code[line_start:m.start()].rstrip())
        head = line(m.start())
        name = (named.group(1) or named.group(2)) if named else f"arrow@{head}"
        found.append(Func(path, name, head, line(_close(code, body)) - head + 1))
    return found


def console_files() -> list[Path]:
    return sorted(p for p in JS_DIR.rglob("*.js")
                  if p.name not in GENERATED and not (set(p.relative_to(JS_DIR).parts[:-1]) & GENERATED_DIRS))


def test_the_parser_measures_what_it_should(tmp_path: Path) -> None:
    src = tmp_path / "x.js"
    src.write_text(
        "// function commented() { {{{ }\n"
        "const re = /[{(]\\//g;\n"
        "export async function outer(a) {\n"
        "  const s = 'a { b';\n"
        "  const t = `x ${a.map((v) => { return `${v}}`; }).join('')} {`;\n"
        "  function inner() {\n"
        "    return 1;\n"
        "  }\n"
        "  el.addEventListener('click', async (e) => {\n"
        "    inner();\n"
        "  });\n"
        "  return s + t + re;\n"
        "}\n"
        "const short = (x) => x + 1;\n"
        "const load = async ({ a }) => {\n"
        "  return a / 2 / 3;\n"
        "};\n",
        encoding="utf-8")
    got = {(f.name, f.first, f.lines) for f in functions(src)}
    assert got == {("outer", 3, 11), ("inner", 6, 3), ("arrow@5", 5, 1), ("arrow@9", 9, 3), ("load", 15, 3)}


def test_the_console_sources_are_all_measured() -> None:
    files = console_files()
    names = {p.relative_to(JS_DIR).as_posix() for p in files}
    assert {"app.js", "ui.js", "pages/case.js"} <= names
    assert not any(n.startswith("api/") for n in names)
    assert sum(len(functions(p)) for p in files) > 200


@pytest.mark.parametrize("path", console_files(), ids=lambda p: p.relative_to(JS_DIR).as_posix())
def test_no_console_function_is_long(path: Path) -> None:
    long = [f"{f.name} (line {f.first}): {f.lines} lines" for f in functions(path) if f.lines > MAX_LINES]
    assert not long, f"{path.relative_to(ROOT)}: split into small named render helpers: {long}"


SERVICES_DIR = ROOT / "miniprogram" / "services"
# A quoted path that starts with "/" (in '…', "…" or `…`), as a service would pass to request.js.
_PATH_LITERAL = re.compile(r"""['"`](/[A-Za-z][^'"`]*)['"`]""")


def test_mini_program_services_call_the_generated_clients() -> None:
    """Services reach the API through ``miniprogram/api/<domain>.js``; the only paths they still write
    are the sandbox hooks, which sit outside the API document. ``request.js`` is the transport the
    generated clients themselves call (its token refresh included), so it is not one of them."""
    paths = {p.name: _PATH_LITERAL.findall(p.read_text(encoding="utf-8"))
             for p in SERVICES_DIR.glob("*.js") if p.name != "request.js"}
    assert paths, "no mini-program services found"
    written = {name: [x for x in found if not x.startswith("/sandbox/")] for name, found in paths.items()}
    assert {name: found for name, found in written.items() if found} == {}
    users = {name for name in paths if "require('../api/" in (SERVICES_DIR / name).read_text(encoding="utf-8")}
    assert {"agency.js", "appointments.js", "cases.js", "payments.js", "licences.js"} <= users

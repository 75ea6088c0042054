"""``/openapi.json``: an OpenAPI 3.1 document built from the routes' ``@operation`` declarations,
the same schemas that validate requests. A route method without a declaration is a bug the
test suite reports.

The error catalogue (every domain's errors, from the lexicon: ``backend.core.words``) is published
with it: ``components.schemas.ErrorCode`` enumerates every code the ``Error`` shape may carry, and
``x-error-codes`` gives each code's HTTP status and default Chinese message.
"""
from __future__ import annotations

import copy
import re
from typing import Any, Iterable

from backend.core.api import Operation
from backend.core.domain import Route
from backend.core.schema import ERROR

METHODS = ("get", "post", "put", "patch", "delete")
ERROR_TEXT = {400: "输入有误", 401: "未登录或令牌无效", 403: "无权操作", 404: "未找到", 405: "不支持的方法",
              409: "状态冲突", 413: "请求过大", 415: "须为 JSON", 429: "请求过于频繁",
              500: "系统错误", 502: "外部服务错误", 503: "服务暂不可用"}


def operations_of(handler: type) -> dict[str, Operation]:
    out = {}
    for m in METHODS:
        fn = getattr(handler, m, None)
        op = getattr(fn, "_op", None)
        if op is not None:
            out[m] = op
    return out


def undocumented(routes: Iterable[Route]) -> list[str]:
    """Route methods that a handler implements but does not declare."""
    import tornado.web
    missing = []
    for r in routes:
        template, handler = r[3], r[1]
        for m in METHODS:
            fn = getattr(handler, m, None)
            base = getattr(tornado.web.RequestHandler, m, None)
            if fn is not None and fn is not base and not hasattr(fn, "_op"):
                missing.append(f"{m.upper()} {template}")
    return missing


def _strip(schema: Any) -> Any:
    """Our schemas may carry ``x-message``; keep it (3.1 allows extensions) but copy defensively."""
    return copy.deepcopy(schema)


def error_schemas(catalogue: list[dict[str, Any]]) -> dict[str, Any]:
    """``Error`` whose ``code`` is one of ``ErrorCode``, the catalogue's codes."""
    error = copy.deepcopy(ERROR)
    error["properties"]["error"]["properties"]["code"] = {"$ref": "#/components/schemas/ErrorCode"}
    code = {"type": "string", "enum": [e["code"] for e in catalogue],
            "description": "错误码；各码的 HTTP 状态与默认提示见文档顶层的 x-error-codes。"}
    return {"Error": error, "ErrorCode": code}


def operation_id(method: str, template: str) -> str:
    """A stable, unique operationId from the method and the route template, never from the handler's
    class name (two handlers may share one): ``post /api/v1/me/licences/refresh`` →
    ``post_me_licences_refresh``, ``/api/v1/appointments/{id}/cancel`` → ``post_appointments_by_id_cancel``.
    Segments keep their own spelling (``-`` and ``.`` become ``_``); a parameter reads ``by_<name>``."""
    path = template.removeprefix("/api/v1")
    parts = [method]
    for seg in path.strip("/").split("/"):
        m = re.fullmatch(r"\{(\w+)\}", seg)
        if m:
            parts.append(f"by_{m.group(1)}")
        elif seg:
            parts.append(re.sub(r"[^A-Za-z0-9_]", "_", seg))
    return "_".join(parts)


def build_openapi(routes: Iterable[Route], catalogue: list[dict[str, Any]], *, title: str, version: str,
                  server_url: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    taken: dict[str, str] = {}
    for r in routes:
        template, handler = r[3], r[1]
        ops = operations_of(handler)
        if not ops:
            continue
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                  for n in re.findall(r"\{(\w+)\}", template)]
        item: dict[str, Any] = {}
        for method, op in ops.items():
            op_id = operation_id(method, template)
            if op_id in taken:  # the document would be invalid: say which two routes collide
                raise ValueError(f"operationId {op_id} of {method.upper()} {template} is already "
                                 f"{taken[op_id]}")
            taken[op_id] = f"{method.upper()} {template}"
            item[method] = _operation(op, params, op_id)
        paths[template] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "指尖办核心接口。错误统一为 {\"error\": {\"code\", \"message\", \"details\"}}。"},
        "servers": [{"url": server_url}],
        "paths": paths,
        "x-error-codes": catalogue,
        "components": {
            "schemas": error_schemas(catalogue),
            "securitySchemes": {
                "resident": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                             "description": "居民令牌（/auth/wechat-login）"},
                "staff": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                          "description": "工作人员令牌（/staff/login）"},
            },
        },
    }


def _operation(op: Operation, path_params: list[dict[str, Any]], op_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary, "operationId": op_id, "tags": list(op.tags) or ["其他"]}
    if op.description:
        out["description"] = op.description
    params = list(path_params)
    if op.query:
        required = set(op.query.get("required", []))
        for name, schema in op.query.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": _strip(schema)})
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": _strip(op.body)}}}
    if op.auth:
        out["security"] = [{op.auth: []}]
    if op.roles:
        out["x-roles"] = list(op.roles)
    responses: dict[str, Any] = {}
    for code, resp in op.responses.items():
        entry: dict[str, Any] = {"description": resp.description or "成功"}
        if resp.schema is not None or resp.content_type != "application/json":
            entry["content"] = {resp.content_type: {"schema": _strip(resp.schema or {})}}
        responses[str(code)] = entry
    error_codes = set(op.errors)
    if op.auth:
        error_codes.add(401)
    if op.roles:
        error_codes.add(403)
    if op.body is not None and not op.raw_body:
        error_codes.update({400, 413, 415})
    if op.query:
        error_codes.add(400)
    error_codes.update({500, 503})
    error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for code in sorted(error_codes):
        responses.setdefault(str(code), {"description": ERROR_TEXT.get(code, "错误"), "content": error_body})
    out["responses"] = responses
    return out

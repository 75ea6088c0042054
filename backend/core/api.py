"""The API base handler and the operation metadata every route carries.

A handler method is declared with ``@operation(...)``: its summary, who may call it, the schema
of its body and query, and its responses. ``ApiHandler.prepare`` uses that declaration to
authenticate, check roles, parse and validate input before the method runs; ``openapi.py`` uses
the same declaration to publish ``/openapi.json``. So what is validated is what is documented.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import pymongo.errors
import tornado.web
from bson import ObjectId

from backend.core import errors
from backend.core.access import Resident, Staff, access_resident, access_staff_role
from backend.core.clock import iso
from backend.core.inputs import check_path, parse_json
from backend.core.logs import request_id_var
from backend.core.schema import coerce_query, validate, validate_request

if TYPE_CHECKING:  # pragma: no cover
    from backend.core.access import Principal, Rule
    from backend.core.http import Edge

log = logging.getLogger("zjb.api")
access_log = logging.getLogger("zjb.access")

F = TypeVar("F", bound=Callable[..., Any])
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@dataclass(frozen=True)
class Response:
    schema: dict[str, Any] | None = None
    content_type: str = "application/json"
    description: str = ""


@dataclass(frozen=True)
class Operation:
    summary: str
    tags: tuple[str, ...] = ()
    auth: str | None = None               # None (public), "resident", "staff"
    roles: tuple[str, ...] = ()           # staff roles, any of which may call it
    body: dict[str, Any] | None = None
    query: dict[str, Any] | None = None
    responses: dict[int, Response] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    description: str = ""
    raw_body: bool = False                # body is not JSON (provider callbacks): no parsing
    hidden: bool = False                  # stand-in protocol endpoints: documented under a tag
    before_password_change: bool = False  # staff who must still change an admin-set password may call it


def operation(summary: str, *, responses: dict[int, Any], tags: tuple[str, ...] | list[str] = (),
              auth: str | None = None, roles: tuple[str, ...] | list[str] = (),
              body: dict[str, Any] | None = None, query: dict[str, Any] | None = None,
              errors: tuple[int, ...] | list[int] = (), description: str = "",
              raw_body: bool = False, access: Rule | None = None,
              before_password_change: bool = False) -> Callable[[F], F]:
    """Declare an API operation on a handler method. ``access`` is the domain policy's ``Rule`` for
    it (``backend.core.access``): its staff roles are checked at the edge, so ``roles`` is not
    written beside it. A member of staff who must still change an administrator-set password calls
    only operations whose rule (or ``before_password_change``) allows it."""
    if access is not None:
        if roles:
            raise ValueError("give access= or roles=, not both")
        roles = tuple(sorted(access.roles))
        before_password_change = before_password_change or access.before_password_change
    resp = {code: (r if isinstance(r, Response) else Response(schema=r)) for code, r in responses.items()}
    op = Operation(summary=summary, tags=tuple(tags), auth=auth, roles=tuple(roles), body=body,
                   query=query, responses=resp, errors=tuple(errors), description=description,
                   raw_body=raw_body, before_password_change=before_password_change)

    def deco(fn: F) -> F:
        fn._op = op  # type: ignore[attr-defined]
        return fn

    return deco


def route(template: str, handler: type, **kwargs: Any) -> tuple[str, type, dict[str, Any], str]:
    """A route from a template like ``/api/v1/appointments/{id}``; ``{id}`` becomes a named group."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"
    return (regex, handler, kwargs, template)


def bind(routes: list[tuple[str, type, dict[str, Any], str]],
         **deps: Any) -> list[tuple[str, type, dict[str, Any], str]]:
    """The same routes with ``deps`` handed to each handler (as attributes, see ``BaseHandler``)."""
    return [(regex, handler, {**kwargs, **deps}, template) for regex, handler, kwargs, template in routes]


def to_json(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, ObjectId):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=to_json, separators=(",", ":"))


class BaseHandler(tornado.web.RequestHandler):
    """Request id, structured access log, security headers. Every handler derives from this."""

    request_id: str = ""
    principal: "Principal | None" = None
    # A request counts towards the burst that background jobs give way to (``Edge.foreground``);
    # a stream held open for minutes does not.
    counts_as_load = True
    _counted = False

    @property
    def edge(self) -> "Edge":
        edge: Edge = self.settings["edge"]
        return edge

    def initialize(self, **deps: Any) -> None:
        # What the domain's builder bound to this route (``bind``): its services, by name.
        for name, value in deps.items():
            setattr(self, name, value)
        incoming = self.request.headers.get("X-Request-Id", "")
        self.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        self._rid_token = request_id_var.set(self.request_id)
        self.set_header("X-Request-Id", self.request_id)
        if self.counts_as_load:
            self.edge.foreground.enter()
            self._counted = True

    def _uncount(self) -> None:
        if self._counted:
            self._counted = False
            self.edge.foreground.leave()

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Frame-Options", "DENY")
        self.clear_header("Server")

    def on_finish(self) -> None:
        self._uncount()
        try:
            request_id_var.reset(self._rid_token)
        except (ValueError, AttributeError):
            pass

    def on_connection_close(self) -> None:
        self._uncount()   # a request whose client went away may never finish
        super().on_connection_close()

    def client_ip(self) -> str:
        return self.edge.client_ip(self.request)


class ApiHandler(BaseHandler):
    """JSON in and out; errors in the contract's shape; auth and validation from ``@operation``."""

    body: Any = None
    query: dict[str, Any]

    def log_level(self) -> int:
        """The level of this request's access line: a server failure (5xx) is an error."""
        return logging.INFO if self.get_status() < 500 else logging.ERROR

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        # JSON is never a document: nothing in it may load, run or be framed.
        self.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        self.set_header("Cross-Origin-Resource-Policy", "same-origin")

    def _operation(self) -> Operation | None:
        fn = getattr(self, self.request.method.lower(), None)
        return getattr(fn, "_op", None)

    async def prepare(self) -> None:
        if self.request.method == "OPTIONS":
            return
        check_path(self.request.path)
        op = self._operation()
        if op is None:
            raise errors.MethodNotAllowed()
        self.edge.cors(self)
        if op.auth:
            self.principal = await self.edge.authenticator.authenticate(self.request.headers.get("Authorization"),
                                                                        op.auth)
            if op.roles or isinstance(self.principal, Staff):
                access_staff_role(self.principal, op.roles, before_password_change=op.before_password_change)
        self.query = coerce_query(op.query, self.request.query_arguments) if op.query else {}
        if op.body is not None and not op.raw_body:
            self.body = validate_request(op.body, self._parse_json())

    def _parse_json(self) -> Any:
        ctype = self.request.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != "application/json":
            raise errors.UnsupportedMediaType()
        if len(self.request.body) > self.edge.max_body_bytes:
            raise errors.PayloadTooLarge()
        return parse_json(self.request.body)

    def reply(self, payload: Any, status: int = 200) -> None:
        """Write a JSON answer. In tests every answer is checked against its documented schema."""
        if self.edge.validate_responses:
            self._check_response(status, payload)
        self.set_status(status)
        self.finish(dumps(payload))

    def reply_kept(self, kept: Any, shape: Callable[[Any], Any] | None = None) -> None:
        """Write the JSON answer ``shape(kept)`` for a value a ``Recent`` cache keeps: encoded
        once per kept value (``KeptJson``), not once per request."""
        if self.edge.validate_responses:
            self._check_response(200, shape(kept) if shape else kept)
        self.finish(self.edge.kept_json.text(kept, lambda: dumps(shape(kept) if shape else kept)))

    def _check_response(self, status: int, payload: Any) -> None:
        op = self._operation()
        resp = op.responses.get(status) if op else None
        if resp is None:
            raise AssertionError(f"{self.request.method} {self.request.path}: status {status} is not documented")
        if resp.schema is not None:
            try:
                validate(resp.schema, json.loads(dumps(payload)))
            except errors.InvalidInput as e:
                raise AssertionError(f"{self.request.method} {self.request.path} {status}: "
                                     f"response does not match its schema: {e.details}") from None

    # -- errors ----------------------------------------------------------------------------------

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        err = self._as_app_error(exc, status_code)
        self.set_status(err.http_status)
        for k, v in err.headers.items():
            self.set_header(k, v)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(dumps(err.to_body()))

    @staticmethod
    def _as_app_error(exc: BaseException | None, status_code: int) -> errors.AppError:
        if isinstance(exc, errors.AppError):
            return exc
        if isinstance(exc, pymongo.errors.ConnectionFailure):
            return errors.ServiceUnavailable(details={"reason": "database_unavailable"})
        if isinstance(exc, tornado.web.HTTPError):
            return {
                400: errors.InvalidInput(),
                403: errors.Forbidden(),
                404: errors.NotFound(),
                405: errors.MethodNotAllowed(),
                413: errors.PayloadTooLarge(),
            }.get(exc.status_code) or (errors.InternalError() if exc.status_code >= 500
                                       else errors.AppError())
        return errors.InternalError() if status_code >= 500 or exc is not None else errors.AppError()

    def log_exception(self, typ: type[BaseException] | None, value: BaseException | None,
                      tb: TracebackType | None) -> None:
        if isinstance(value, errors.AppError) and value.http_status < 500:
            return
        if isinstance(value, (errors.ProviderError, errors.ServiceUnavailable)):
            log.warning("answered %s to %s %s", value.code, self.request.method, self.request.path)
            return  # an outside party or the database is away: said to the person, nothing broke here
        if isinstance(value, pymongo.errors.ConnectionFailure):
            log.warning("database unavailable: %s", type(value).__name__)
            return
        if isinstance(value, tornado.web.HTTPError) and value.status_code < 500:
            return
        log.error("unhandled error in %s %s", self.request.method, self.request.path,
                  exc_info=(typ, value, tb) if typ is not None and value is not None else True)

    async def options(self, *args: Any, **kwargs: Any) -> None:  # CORS preflight
        self.edge.cors(self, preflight=True)
        self.set_status(204)
        self.finish()


class NotFoundHandler(ApiHandler):
    """Unknown paths answer 404 in the contract's shape."""

    async def prepare(self) -> None:
        check_path(self.request.path)
        raise errors.NotFound(message="接口不存在")


class CallerHandler(ApiHandler):
    """An API handler that names its authenticated caller: ``self.resident`` (401 for anyone else)
    or ``self.staff`` (401 for anyone but staff; the roles are the operation's ``access`` rule)."""

    @property
    def resident(self) -> Resident:
        return access_resident(self.principal)

    @property
    def staff(self) -> Staff:
        return access_staff_role(self.principal, ())


def log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado's ``log_function``: one structured line per request (path only, never the body)."""
    status = handler.get_status()
    if isinstance(handler, ApiHandler):
        level = handler.log_level()
    else:
        level = logging.INFO if status < 500 else logging.ERROR
    principal = getattr(handler, "principal", None)
    access_log.log(level, "request", extra={
        "request_id": getattr(handler, "request_id", None),
        "method": handler.request.method,
        "path": handler.request.path,
        "status": status,
        "duration_ms": round(1000.0 * handler.request.request_time(), 2),
        "principal": getattr(principal, "log_id", None),
    })
    metrics = handler.settings.get("metrics")
    if metrics is not None:
        route = handler.settings["route_templates"].get(type(handler), "unmatched")
        metrics.observe_request(handler.request.method or "", route, status, handler.request.request_time())



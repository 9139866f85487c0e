"""The ASGI app: routes, bearer auth, rate limit and faults around the rules and the model."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from . import wire_errors as err
from .anthropic_render import event_runs, message_body
from .anthropic_request import as_anthropic, check_anthropic, invalid, to_chat_body
from .asgi import ActionResponse
from .caching import cache_usage
from .catalog import Endpoint, lookup
from .faults import body_actions, stream_actions
from .model import Context, respond
from .render import Run, completion_body, stream_runs
from .reply import Reply, completion_tokens
from .rules import check_request
from .script import RecordedRequest
from .state import EmulatorState, Fault

_log = logging.getLogger(__name__)
JSON = "application/json"
SSE = "text/event-stream"


class Shapes(NamedTuple):
    """How a route renders a reply: the whole body, and the stream's events."""

    body: Callable[[Reply], bytes]
    runs: Callable[[Reply], list[Run]]


CHAT_SHAPES = Shapes(completion_body, stream_runs)
MESSAGES_SHAPES = Shapes(message_body, event_runs)


def create_app(state: EmulatorState) -> Starlette:
    """The Starlette app serving one emulator's state."""
    chat = ChatRoutes(state)
    anthropic = MessagesRoutes(state)
    routes = [
        Route("/serving-endpoints/anthropic/v1/messages", anthropic.messages, methods=["POST"]),
        Route("/ai-gateway/anthropic/v1/messages", anthropic.messages, methods=["POST"]),
        Route("/serving-endpoints/chat/completions", chat.chat_completions, methods=["POST"]),
        Route("/ai-gateway/mlflow/v1/chat/completions", chat.chat_completions, methods=["POST"]),
        Route("/serving-endpoints/{name}/invocations", chat.invocations, methods=["POST"]),
        Route("/serving-endpoints/{name}/served-models/{served}/invocations", chat.invocations,
              methods=["POST"]),
        Route("/oidc/v1/token", chat.oauth_token, methods=["POST"]),
        Route("/oidc/.well-known/oauth-authorization-server", oauth_metadata, methods=["GET"]),
        Route("/.well-known/databricks-config", host_metadata, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A compact JSON response carrying a request id."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(data, status, {**(headers or {}), **_request_id()}, JSON)


def _request_id() -> dict[str, str]:
    return {"x-databricks-request-id": str(uuid.uuid4())}


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    if status == 404:
        return json_response(404, err.ENDPOINT_NOT_FOUND_BODY)
    return json_response(status, {"error_code": "BAD_REQUEST", "message": str(exc)})


async def oauth_metadata(request: Request) -> Response:
    """OIDC discovery, as databricks-sdk reads it before asking for a token."""
    base = str(request.base_url).rstrip("/")
    return json_response(200, {"issuer": f"{base}/oidc",
                               "authorization_endpoint": f"{base}/oidc/v1/authorize",
                               "token_endpoint": f"{base}/oidc/v1/token"})


async def host_metadata(request: Request) -> Response:
    """Host discovery, which databricks-sdk's `Config` reads (unauthenticated) when it is built.

    Only `oidc_endpoint`, the field its parser needs: the SDK derives its OIDC discovery URL from
    it (served above). No workspace or account id, so nothing else about the SDK's behaviour
    changes (docs/emulator.md#host-metadata).
    """
    base = str(request.base_url).rstrip("/")
    return json_response(200, {"oidc_endpoint": f"{base}/oidc"})


class ChatRoutes:
    """Route handlers bound to the emulator state."""

    shapes = CHAT_SHAPES

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def chat_completions(self, request: Request) -> Response:
        """POST …/chat/completions: the endpoint is the body's `model`."""
        return await self._handle(request, None)

    async def invocations(self, request: Request) -> Response:
        """POST /serving-endpoints/{name}/invocations: the endpoint is in the path."""
        return await self._handle(request, request.path_params["name"])

    async def oauth_token(self, request: Request) -> Response:
        """POST /oidc/v1/token: client credentials (HTTP Basic) -> a bearer access token."""
        raw = await request.body()
        self._record(request, None)
        form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        client_id, secret = _basic(request.headers.get("authorization")) or (
            form.get("client_id"), form.get("client_secret"))
        settings = self.state.settings
        if client_id != settings.client_id or secret != settings.client_secret:
            return json_response(401, {"error": "invalid_client",
                                       "error_description": "Client authentication failed"})
        if form.get("grant_type") != "client_credentials":
            return json_response(400, {"error": "unsupported_grant_type", "error_description":
                                       "grant_type must be client_credentials"})
        return json_response(200, {"access_token": self.state.issue_token(),
                                   "token_type": "Bearer",
                                   "expires_in": settings.oauth_expires_in})

    async def _handle(self, request: Request, path_endpoint: str | None) -> Response:
        try:
            raw = await request.body()
        except ClientDisconnect:
            # The client left before sending its whole body: nobody is left to answer, and an
            # uncaught ClientDisconnect would print uvicorn's "Exception in ASGI application".
            return Response(None, 499)
        body = _parse_json(raw)
        self._record(request, body)
        try:
            self._authorize(request.headers.get("authorization"))
            name = path_endpoint if path_endpoint is not None else _model_name(body)
            shown = name if isinstance(name, str) else "this endpoint"
            if not self.state.admit():
                raise err.rate_limited(shown)
            fault = self.state.next_fault()
            if fault is not None and fault.kind in ("status", "reset"):
                return _status_fault(fault, shown)
            status = self.state.random_fault() if fault is None else None
            if status is not None:
                raise _random_fault(status, shown)
            return await self._answer(body, raw, name, path_endpoint is None, fault)
        except err.Refusal as refusal:
            return json_response(refusal.status, refusal.body, refusal.headers)
        except Exception as exc:  # an emulator bug: answer like the service's 500, and log it
            _log.exception("emulator error")
            return json_response(500, {"error_code": "INTERNAL_ERROR",
                                       "message": f"INTERNAL_ERROR: emulator error {exc!r}"})

    async def _answer(self, body: Any, raw: bytes, name: Any, model_required: bool,
                      fault: Fault | None) -> Response:
        if not isinstance(body, dict):
            raise err.bad_request("Request body must be a JSON object.")
        if model_required and name is None:
            raise err.bad_request("model: Field required")
        endpoint = lookup(name) if isinstance(name, str) else None
        if endpoint is None:
            raise err.endpoint_not_found()
        strict = self.state.settings.strict
        verified = check_request(body, endpoint, self.state.signer, strict=strict,
                                 model_required=model_required)
        if strict and len(raw) // 4 > endpoint.context_window:
            raise err.upstream("Input is too long.")
        reply = self._reply(body, raw, endpoint, fault)
        self.state.add_verified(verified)
        return await _deliver(reply, body.get("stream") is True, fault, self.shapes)

    def _reply(self, body: dict[str, Any], raw: bytes, endpoint: Endpoint,
               fault: Fault | None) -> Reply:
        settings = self.state.settings
        cache = cache_usage(body, self.state) if b"cache_control" in raw else None
        ctx = Context(endpoint, self.state.signer, self.state.next_seq(),
                      prompt_tokens=max(1, len(raw) // 4), tool_rounds=settings.tool_rounds,
                      cache=cache)
        reply = respond(body, ctx, self.state.next_script())
        if fault is not None and fault.kind == "oversize":
            _inflate(reply, int(fault.params.get("bytes", 1_000_000)))
        return reply

    def _authorize(self, header: str | None) -> None:
        token = _bearer(header)
        if not token:
            raise err.unauthenticated()
        status = self.state.token_status(token)
        if status == "expired":
            raise err.unauthenticated()
        if status == "unknown":
            raise err.invalid_token()

    def _record(self, request: Request, body: Any) -> None:
        headers = dict(request.headers)
        if "authorization" in headers:
            scheme = headers["authorization"].partition(" ")[0]
            headers["authorization"] = f"{scheme} <redacted>"
        self.state.record(RecordedRequest(request.method, request.url.path, body, headers,
                                          time.time()))


class MessagesRoutes(ChatRoutes):
    """The native Anthropic Messages route: Anthropic's own checks and error bodies, then the
    same rules and model as the chat route, answers in Anthropic's shapes. Gateway-level
    refusals (credentials, rate limits, injected faults) keep the Databricks bodies."""

    shapes = MESSAGES_SHAPES

    async def messages(self, request: Request) -> Response:
        """POST …/anthropic/v1/messages: the endpoint is the body's `model`."""
        return await self._handle(request, None)

    async def _answer(self, body: Any, raw: bytes, name: Any, model_required: bool,
                      fault: Fault | None) -> Response:
        try:
            if not isinstance(body, dict):
                raise invalid("Request body must be a JSON object.")
            if self.state.settings.strict:
                check_anthropic(body)
            return await super()._answer(to_chat_body(body), raw, name, True, fault)
        except err.Refusal as refusal:
            raise as_anthropic(refusal) from None


async def _deliver(reply: Reply, stream: bool, fault: Fault | None, shapes: Shapes) -> Response:
    if stream:
        stream_plan = stream_actions(shapes.runs(reply), fault, reply.delay)
        headers = {"cache-control": "no-cache", **_request_id()}
        return ActionResponse(stream_plan, 200, headers, SSE)
    body = shapes.body(reply)
    if fault is None or fault.kind == "oversize":
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return Response(body, 200, _request_id(), JSON)
    actions, length = body_actions(body, fault, reply.delay)
    headers = {"content-length": str(length), **_request_id()} if length is not None else {}
    return ActionResponse(actions, 200, headers, JSON)


def _status_fault(fault: Fault, endpoint: str) -> Response:
    if fault.kind == "reset":
        return ActionResponse([("close", None)])
    status = int(fault.params.get("status", 500))
    body = fault.params.get("body") or err.status_body(status, endpoint)
    retry_after = fault.params.get("retry_after")
    headers = {} if retry_after is None else {"Retry-After": err.seconds(retry_after)}
    return json_response(status, body, headers)


def _random_fault(status: int, endpoint: str) -> err.Refusal:
    """A `fault_rate` failure: the service's body for the status; 429 says when to retry."""
    if status == 429:
        return err.rate_limited(endpoint)
    return err.Refusal(status, err.status_body(status, endpoint))


def _inflate(reply: Reply, size: int) -> None:
    """Pad the reply's text so that its non-streaming body is `size` bytes."""
    reply.text = reply.text or "x"
    for _ in range(4):
        reply.completion_tokens = completion_tokens(reply)
        missing = size - len(completion_body(reply))
        if missing == 0:
            return
        reply.text = reply.text + "x" * missing if missing > 0 else reply.text[:missing] or "x"


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        return None


def _model_name(body: Any) -> Any:
    return body.get("model") if isinstance(body, dict) else None


def _bearer(header: str | None) -> str | None:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    basic = _basic(header)
    return basic[1] if basic and basic[0] == "token" else None


def _basic(header: str | None) -> tuple[str, str] | None:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password

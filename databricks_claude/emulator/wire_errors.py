"""Error bodies shaped like the ones the real service returns (see the wire captures)."""

from __future__ import annotations

import json
from typing import Any

NOT_SENT = "Credential was not sent or was of an unsupported type for this API."
DOCS_THINKING = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
ENDPOINT_NOT_FOUND_BODY = {
    "error_code": "ENDPOINT_NOT_FOUND",
    "message": "The given endpoint does not exist, please retry after checking the specified "
    "model and version deployment exists.",
}


class Refusal(Exception):
    """An HTTP error answer: raised anywhere while handling a request, rendered by the app."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body
        self.headers = headers or {}


def bad_request(message: str) -> Refusal:
    """A Databricks-level 400 with the message as is."""
    return Refusal(400, {"error_code": "BAD_REQUEST", "message": message})


def extra_input(path: str) -> Refusal:
    """The Databricks refusal of an unknown top-level key."""
    return bad_request(f"{path}: Extra inputs are not permitted")


def upstream(text: str) -> Refusal:
    """A 400 from the model service behind Databricks: its JSON error nested in `message`."""
    return bad_request(json.dumps({"message": text}, ensure_ascii=False))


def upstream_extra_input(path: str) -> Refusal:
    """An unknown key below the top level, refused by the model service."""
    return upstream(f"{path}: Extra inputs are not permitted")


def unauthenticated() -> Refusal:
    """401: no credential, or one that has expired."""
    return Refusal(401, {"error_code": 401, "message": NOT_SENT})


def invalid_token() -> Refusal:
    """403: a credential the workspace does not know."""
    return Refusal(403, {"error_code": 403, "message": "Invalid access token."})


def endpoint_not_found() -> Refusal:
    """404 for a model / endpoint name that is not served."""
    return Refusal(404, dict(ENDPOINT_NOT_FOUND_BODY))


def rate_limited(endpoint: str, retry_after: float | None = 1) -> Refusal:
    """429 with the captured REQUEST_LIMIT_EXCEEDED body."""
    headers = {} if retry_after is None else {"Retry-After": seconds(retry_after)}
    return Refusal(429, rate_limit_body(endpoint), headers)


def rate_limit_body(endpoint: str) -> dict[str, Any]:
    """The captured 429 body, naming the endpoint."""
    return {
        "error_code": "REQUEST_LIMIT_EXCEEDED",
        "message": "REQUEST_LIMIT_EXCEEDED: Exceeded workspace input tokens per minute rate limit "
        f"for {endpoint}. Work with your Databricks account team to request a higher FMAPI "
        "rate limit tier.",
    }


def status_body(status: int, endpoint: str) -> dict[str, Any]:
    """A plausible default body for an injected status fault."""
    known = {401: unauthenticated, 403: invalid_token, 404: endpoint_not_found}
    if status in known:
        return known[status]().body
    if status == 429:
        return rate_limit_body(endpoint)
    codes = {400: "BAD_REQUEST", 500: "INTERNAL_ERROR", 502: "BAD_GATEWAY",
             503: "TEMPORARILY_UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
    code = codes.get(status, "INTERNAL_ERROR")
    return {"error_code": code, "message": f"{code}: emulated error (status {status})"}


def seconds(value: float) -> str:
    """A Retry-After value: whole seconds without a decimal point."""
    return str(int(value)) if float(value).is_integer() else str(value)

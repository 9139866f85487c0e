"""Errors parsed from the real Databricks bodies (tests/fixtures/errors_captured.txt)."""

from __future__ import annotations

import pickle

import pytest

from databricks_claude import errors

REQ_ID = "3f1c2a9e-1111-2222-3333-444455556666"


@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        (400, {"error_code": "BAD_REQUEST",
               "message": "parallel_tool_calls: Extra inputs are not permitted"},
         errors.BadRequestError, "BAD_REQUEST"),
        (401, {"error_code": 401, "message": "Credential was not sent or was of an "
               "unsupported type for this API."}, errors.AuthenticationError, 401),
        (403, {"error_code": 403, "message": "Invalid access token."},
         errors.PermissionDeniedError, 403),
        (404, {"error_code": "ENDPOINT_NOT_FOUND", "message": "The given endpoint does not exist, "
               "please retry after checking the specified model and version deployment exists."},
         errors.EndpointNotFoundError, "ENDPOINT_NOT_FOUND"),
        (429, {"error_code": "REQUEST_LIMIT_EXCEEDED",
               "message": "REQUEST_LIMIT_EXCEEDED: Exceeded workspace input tokens per minute "
                          "rate limit for databricks-claude-opus-4-8."},
         errors.RateLimitError, "REQUEST_LIMIT_EXCEEDED"),
        (503, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "try later"},
         errors.ServerError, "TEMPORARILY_UNAVAILABLE"),
        (500, "upstream exploded", errors.ServerError, None),
    ],
)
def test_status_maps_to_typed_error(status: int, body: object, cls: type, code: object) -> None:
    error = errors.error_from_response(status, body, {})
    assert type(error) is cls
    assert error.status == status
    assert error.error_code == code
    assert isinstance(error, errors.DatabricksClaudeError)


def test_numeric_error_code_and_request_id_from_message() -> None:
    body = {"error_code": 403, "message": "Source IP address: 10.1.2.3 is blocked by Databricks "
            f"IP ACL for workspace: 123 [ReqId: {REQ_ID}]"}
    error = errors.error_from_response(403, body, {})
    assert error.error_code == 403
    assert error.request_id == REQ_ID
    assert REQ_ID in str(error)


def test_request_id_header_wins() -> None:
    error = errors.error_from_response(500, {"error_code": "INTERNAL_ERROR", "message": "x"},
                                       {"x-databricks-request-id": "hdr-1"})
    assert error.request_id == "hdr-1"


def test_nested_upstream_message_is_unwrapped() -> None:
    body = {"error_code": "BAD_REQUEST",
            "message": "{\"message\":\"messages.98.thinking_blocks: "
                       "Extra inputs are not permitted\"}"}
    error = errors.error_from_response(400, body, {})
    assert error.message == "messages.98.thinking_blocks: Extra inputs are not permitted"


def test_input_too_long_is_context_window_error() -> None:
    body = {"error_code": "BAD_REQUEST", "message": "{\"message\":\"Input is too long.\"}"}
    error = errors.error_from_response(400, body, {})
    assert isinstance(error, errors.ContextWindowExceededError)
    assert isinstance(error, errors.BadRequestError)


def test_bare_string_body() -> None:
    error = errors.error_from_response(400, "BAD_REQUEST: Invalid role in the chat message", {})
    assert error.error_code == "BAD_REQUEST"
    assert error.message == "Invalid role in the chat message"


@pytest.mark.parametrize(("header", "expected"), [("7", 7.0), ("0.5", 0.5), (None, None),
                                                  ("Wed, 21 Oct 2015 07:28:00 GMT", None)])
def test_retry_after_header(header: str | None, expected: float | None) -> None:
    headers = {"retry-after": header} if header else {}
    error = errors.error_from_response(429, {"error_code": "REQUEST_LIMIT_EXCEEDED",
                                             "message": "slow down"}, headers)
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == expected


def test_docs_style_rate_limit_body() -> None:
    body = {"error": {"message": "Rate limit exceeded: ITPM limit of 200,000 tokens reached",
                      "type": "rate_limit_exceeded", "code": 429, "retry_after": 15}}
    error = errors.error_from_response(429, body, {})
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == 15.0
    assert error.error_code == "rate_limit_exceeded"


def test_auth_errors_carry_a_hint() -> None:
    body = {"error_code": "ENDPOINT_NOT_FOUND", "message": "gone"}
    error = errors.error_from_response(404, body, {})
    assert "endpoint name" in str(error)


def test_status_errors_pickle_round_trip() -> None:
    error = errors.error_from_response(429, {"error_code": "REQUEST_LIMIT_EXCEEDED",
                                             "message": "slow"}, {"retry-after": "3"})
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is errors.RateLimitError
    assert again.status == 429
    assert str(again) == str(error)


def test_every_captured_body_parses() -> None:
    import json
    from pathlib import Path

    text = (Path(__file__).parent / "fixtures" / "errors_captured.txt").read_text()
    bodies = [line for line in text.splitlines() if line.startswith("{")]
    assert len(bodies) >= 8
    for line in bodies:
        body = json.loads(line.split("   (")[0]) if line.rstrip().endswith("}") else line
        error = errors.error_from_response(400, body, {})
        assert error.message, line

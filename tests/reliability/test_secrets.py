"""No credential ever leaks: not in messages, reprs, logs, serialized objects or pickles.

Every public path runs with recognisable canary credentials (a token, an OAuth secret, a wrong
token and a wrong secret, the OAuth tokens the emulator issues, and the Basic-auth encodings)
while everything it can reveal is collected: debug logs of every logger, stdout/stderr,
warnings, framework callbacks and instrumentation events, exceptions (str, repr, traceback with
causes, pickle), object reprs, LangChain dumpd/dumps, LlamaIndex to_dict/to_json, pydantic
dumps, the CLI's output and the emulator's recorded requests. Then no canary may appear in any.

Also: plain http:// to a non-loopback host is refused before any request, and a redirect is
never followed (a 302 to another loopback port that records whether a credential arrived).
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import logging
import pickle
import re
import socket
import threading
import traceback
from collections.abc import Iterator
from typing import Any

import pytest

from databricks_claude import errors
from databricks_claude.emulator import Emulator, ScriptedReply

from ._drivers import DRIVERS, MODES, Driver
from ._support import count

TOKEN = "dapiCANARYt0ken0123456789abcdef"
SECRET = "doseCANARYs3cret0123456789abcdef"
WRONG_TOKEN = "dapiCANARYwr0ngt0ken0123456789ab"
WRONG_SECRET = "doseCANARYwr0ngs3cret0123456789ab"
CLIENT_ID = "canary-service-principal"
LOGGERS = ("", "databricks_claude", "httpx", "httpcore", "langchain", "langchain_core",
           "llama_index", "aiohttp", "uvicorn", "starlette", "asyncio")
SERIALIZERS = ("model_dump", "model_dump_json", "dict", "json", "to_dict", "to_json")
# Every serialization path each surface offers; `add_object` must run exactly these (a path that
# raised, or one that silently disappeared, would be a path a secret could leak through unseen).
PATHS = {
    "core": ("dumpd", "dumps", "pickle refused"),
    "langchain": ("model_dump", "model_dump_json", "dict", "json", "to_json", "dumpd", "dumps",
                  "pickle"),
    "llama_index": (*SERIALIZERS, "dumpd", "dumps", "pickle"),
}


class Haystack:
    """Everything the library revealed during the test, as text, with where it came from."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, label: str, value: Any) -> None:
        """Record `value` as text (bytes are decoded byte for byte)."""
        if isinstance(value, (bytes, bytearray)):
            self.items.append((label, bytes(value).decode("latin-1")))
        else:
            self.items.append((label, f"{value!s}\n{value!r}"))

    def add_error(self, label: str, error: BaseException) -> None:
        """An exception: message, repr, attributes, traceback with causes, and its pickle.

        Every error must pickle (the library's errors cross process boundaries): a pickling
        failure fails the test instead of hiding what the pickle would have carried."""
        self.add(f"{label}: str/repr", error)
        self.add(f"{label}: attributes", vars(error))
        self.add(f"{label}: traceback", "".join(traceback.format_exception(error)))
        partial = getattr(error, "partial", None)
        if partial is not None:
            self.add(f"{label}: partial", partial)
        data = pickle.dumps(error)
        self.add(f"{label}: pickle", data)
        revived = pickle.loads(data)
        assert type(revived) is type(error) and str(revived) == str(error), (error, revived)
        count("secrets: exceptions pickled")
        count("secrets: exceptions inspected")

    def add_object(self, label: str, obj: Any) -> tuple[str, ...]:
        """An object: repr, str, pydantic and framework serializations, and its pickle.

        Returns the serialization paths that ran. None may raise, except pickling the core
        client, which holds locks and connection pools and refuses with that specific
        TypeError (whose message is scanned too)."""
        from langchain_core.load import dumpd, dumps

        from databricks_claude.client import DatabricksClaudeClient

        ran: list[str] = []
        self.add(f"{label}: repr/str", obj)
        for method in SERIALIZERS:
            func = getattr(obj, method, None)
            if callable(func):
                self.add(f"{label}: {method}()", func())
                ran.append(method)
        self.add(f"{label}: dumpd", dumpd(obj))
        self.add(f"{label}: dumps", dumps(obj, pretty=True))
        ran += ["dumpd", "dumps"]
        try:
            data = pickle.dumps(obj)
        except TypeError as error:
            assert isinstance(obj, DatabricksClaudeClient), f"{label}: {error!r}"
            # e.g. "cannot pickle '_thread.lock' object" (an RLock once its pool exists)
            assert re.fullmatch(r"cannot pickle '[\w.]+' object", str(error)), repr(error)
            self.add(f"{label}: pickle refusal", error)
            ran.append("pickle refused")
        else:
            self.add(f"{label}: pickle", data)
            ran.append("pickle")
        count("secrets: objects inspected")
        return tuple(ran)


def needles(emu: Emulator) -> dict[str, str]:
    """Every credential of the run, including the OAuth tokens the emulator issued."""
    found = {"token": TOKEN, "secret": SECRET, "wrong token": WRONG_TOKEN,
             "wrong secret": WRONG_SECRET}
    for name, pair in (("basic(secret)", f"{CLIENT_ID}:{SECRET}"),
                       ("basic(wrong secret)", f"{CLIENT_ID}:{WRONG_SECRET}"),
                       ("basic(token)", f"token:{TOKEN}")):
        found[name] = base64.b64encode(pair.encode()).decode()
    for index, issued in enumerate(emu._state.tokens._expiry):  # the emulator's own record
        found[f"issued oauth token {index}"] = issued
    return found


def assert_no_leak(hay: Haystack, emu: Emulator) -> None:
    """Fail naming every (credential, place) pair where a credential showed up."""
    leaks = [(name, label) for label, text in hay.items
             for name, needle in needles(emu).items() if needle in text]
    count("secrets: artifacts scanned", len(hay.items))
    assert not leaks, f"credentials leaked: {leaks}"


def test_the_leak_detector_finds_a_leak(canary_emulator: Emulator) -> None:
    """The scan itself can fail: a token in a log line or a Basic header is caught."""
    hay = Haystack()
    hay.add("log", f"Authorization: Bearer {TOKEN}")
    with pytest.raises(AssertionError, match="token"):
        assert_no_leak(hay, canary_emulator)
    hay = Haystack()
    hay.add("header", {"authorization": "Basic " + needles(canary_emulator)["basic(secret)"]})
    with pytest.raises(AssertionError, match="basic"):
        assert_no_leak(hay, canary_emulator)


@pytest.fixture(scope="module")
def canary_emulator() -> Iterator[Emulator]:
    """An emulator that accepts the canary token and OAuth client."""
    with Emulator(token=TOKEN, client_id=CLIENT_ID, client_secret=SECRET) as emu:
        yield emu


@pytest.fixture
def emu(canary_emulator: Emulator) -> Emulator:
    """The canary emulator, reset."""
    canary_emulator.reset()
    return canary_emulator


@pytest.fixture
def hay(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str],
        recwarn: pytest.WarningsRecorder, emu: Emulator) -> Iterator[Haystack]:
    """Debug logging everywhere; at the end, logs, output, warnings and recorded requests are
    added and the whole haystack is scanned for credentials."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    hay = Haystack()
    yield hay
    # caplog keeps records per phase: the test's own are those of "call".
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in records:
        hay.add("log record", formatter.format(record))  # includes any exception traceback
        hay.add("log record args", record.args)
    out, err = capfd.readouterr()
    hay.add("stdout", out)
    hay.add("stderr", err)
    hay.add("warnings", [str(w.message) for w in recwarn.list])
    for request in emu.requests:
        hay.add("emulator recorded request", request)
    count("secrets: log records scanned", len(records))
    assert_no_leak(hay, emu)


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    import databricks_claude.client as client_module

    async def asleep(delay: float) -> None:
        return None

    monkeypatch.setattr(client_module, "_sleep", lambda delay: None)
    monkeypatch.setattr(client_module, "_asleep", asleep)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PAT = {"token": TOKEN}
OAUTH = {"client_id": CLIENT_ID, "client_secret": SECRET}
REFUSED = "refused"  # stands for a closed loopback port
# name -> (settings, fault to queue or None, error class expected or None)
SCENARIOS: dict[str, tuple[dict[str, Any], Any, Any]] = {
    "pat ok": (PAT, None, None),
    "oauth ok": (OAUTH, None, None),
    "pat 401": (PAT, ("status", 3, {"status": 401}), errors.AuthenticationError),
    "oauth 401 twice": (OAUTH, ("status", 3, {"status": 401}), errors.AuthenticationError),
    "wrong token 403": ({"token": WRONG_TOKEN}, None, errors.PermissionDeniedError),
    "wrong oauth secret": ({"client_id": CLIENT_ID, "client_secret": WRONG_SECRET}, None,
                           errors.AuthenticationError),
    "pat 500": ({**PAT, "max_retries": 0}, ("status", 1, {"status": 500}), errors.ServerError),
    "oauth 429": ({**OAUTH, "max_retries": 0}, ("status", 1, {"status": 429}),
                  errors.RateLimitError),
    "pat reset": ({**PAT, "max_retries": 0}, ("reset", 1, {}), errors.APIConnectionError),
    "pat timeout": ({**PAT, "max_retries": 0, "timeout": 0.3}, ("stall", 1, {"seconds": 2.0}),
                    errors.APITimeoutError),
    "pat malformed": ({**PAT, "max_retries": 0}, ("malformed", 1, {"after": 2}),
                      errors.MalformedResponseError),
    "oauth drop": ({**OAUTH, "max_retries": 0}, ("drop_after", 1, {"chunks": 2}),
                   errors.APIConnectionError),
    "refused": ({**PAT, "max_retries": 0, "host": REFUSED}, None, errors.APIConnectionError),
    "refused oauth": ({**OAUTH, "max_retries": 0, "host": REFUSED}, None,
                      errors.APIConnectionError),
}


@pytest.fixture(params=sorted(DRIVERS))
def driver(request: pytest.FixtureRequest) -> Driver:
    """Each public surface in turn."""
    return DRIVERS[request.param]()


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_no_credential_leaks_on_any_path(scenario: str, driver: Driver, emu: Emulator,
                                         hay: Haystack) -> None:
    """Each scenario in every mode; then the objects themselves, used and unused."""
    settings, fault, expected = SCENARIOS[scenario]
    settings = dict(settings)
    host = settings.pop("host", emu.host)
    if host == REFUSED:
        host = f"http://127.0.0.1:{_closed_port()}"
    obj = driver.build(host, **settings)
    callbacks = _FrameworkSpy(driver.name)
    assert hay.add_object(f"{driver.name} before use", obj) == PATHS[driver.name]
    try:
        with callbacks.attached(obj):
            for mode in MODES:
                emu.script(ScriptedReply(text="alpha beta gamma delta"))
                if fault is not None:
                    kind, times, params = fault
                    emu.fault(kind, times=times, **params)
                outcome = driver.run(obj, mode)
                count("secrets: calls made")
                if expected is None:
                    assert outcome.error is None, repr(outcome.error)
                else:
                    error = outcome.error
                    acceptable = (expected, errors.StreamInterruptedError)
                    assert isinstance(error, acceptable), f"{mode}: {error!r}"
                    hay.add_error(f"{scenario} {mode}", error)
        assert hay.add_object(f"{driver.name} after use", obj) == PATHS[driver.name]
        _add_internals(hay, driver.name, obj)
    finally:
        driver.close(obj)
    for label, event in callbacks.events:
        hay.add(label, event)


def _add_internals(hay: Haystack, surface: str, obj: Any) -> None:
    """The core client, config and credential provider under an adapter (repr only)."""
    client = obj if surface == "core" else obj.client() if surface == "langchain" else obj.client
    hay.add("core client", client)
    hay.add("client config", client.config)
    hay.add("credential provider", client.config.credentials)


class _FrameworkSpy:
    """Records what LangChain callbacks and LlamaIndex instrumentation receive."""

    def __init__(self, surface: str) -> None:
        self.surface = surface
        self.events: list[tuple[str, Any]] = []

    @contextlib.contextmanager
    def attached(self, obj: Any) -> Iterator[None]:
        if self.surface == "langchain":
            yield from self._langchain(obj)
        elif self.surface == "llama_index":
            yield from self._llama_index()
        else:
            yield

    def _langchain(self, obj: Any) -> Iterator[None]:
        from langchain_core.callbacks import BaseCallbackHandler

        events = self.events

        class Spy(BaseCallbackHandler):
            def __getattribute__(self, name: str) -> Any:
                if name.startswith("on_"):
                    def record(*args: Any, **kwargs: Any) -> None:
                        events.append((f"langchain callback {name}", (args, kwargs)))
                    return record
                return super().__getattribute__(name)

        previous = obj.callbacks
        obj.callbacks = [Spy()]
        try:
            yield
        finally:
            obj.callbacks = previous

    def _llama_index(self) -> Iterator[None]:
        from llama_index.core.instrumentation import get_dispatcher
        from llama_index.core.instrumentation.event_handlers import BaseEventHandler

        events = self.events

        class Spy(BaseEventHandler):
            def handle(self, event: Any, **kwargs: Any) -> None:
                events.append(("llama_index event", event))

        dispatcher = get_dispatcher()
        spy = Spy()
        dispatcher.add_event_handler(spy)
        try:
            yield
        finally:
            dispatcher.event_handlers.remove(spy)


def test_no_leak_through_the_cli(emu: Emulator, hay: Haystack,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The console script, every framework, succeeding and failing (wrong token)."""
    from databricks_claude_cli import app as cli

    monkeypatch.setenv("DATABRICKS_HOST", emu.host)
    for token, expected_exit in ((TOKEN, cli.EXIT_OK), (WRONG_TOKEN, cli.EXIT_AUTH)):
        monkeypatch.setenv("DATABRICKS_TOKEN", token)
        for framework in ("core", "langchain", "llama-index"):
            for extra in ([], ["--no-stream"]):
                code = cli.main(["chat", "hello", "--framework", framework, *extra])
                assert code == expected_exit
                count("secrets: calls made")


def test_no_leak_from_environment_credentials(emu: Emulator, hay: Haystack,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials read from DATABRICKS_* variables: serialized models refer to the variables."""
    monkeypatch.setenv("DATABRICKS_HOST", emu.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    from langchain_databricks_claude import ChatDatabricksClaude

    llm = ChatDatabricksClaude(endpoint="databricks-claude-sonnet-4-5")
    emu.script(ScriptedReply(text="ok"))
    assert llm.invoke("hi").text == "ok"
    assert hay.add_object("langchain model from env", llm) == PATHS["langchain"]
    from langchain_core.load import dumpd

    assert dumpd(llm)["kwargs"]["token"] == {"lc": 1, "type": "secret",
                                             "id": ["DATABRICKS_TOKEN"]}
    llm.close()


@pytest.mark.parametrize("surface", ["langchain", "llama_index"])
@pytest.mark.parametrize("auth", ["token", "oauth"])
def test_pickled_models_carry_no_secret(surface: str, auth: str) -> None:
    """A pickled model (what multiprocessing, Spark and Ray ship) must not carry a secret."""
    settings = {"token": TOKEN} if auth == "token" else {"client_id": CLIENT_ID,
                                                          "client_secret": SECRET}
    obj = DRIVERS[surface]().build("https://dbc-canary.cloud.databricks.com", **settings)
    data = pickle.dumps(obj)
    assert TOKEN.encode() not in data and SECRET.encode() not in data


# ----------------------------------------------------------------------------------------------
# Transport rules: no plain http to remote hosts, no redirects followed


REMOTE_HTTP = ["http://dbc-1234.cloud.databricks.com", "http://example.com:80",
               "http://10.0.0.8", "http://0.0.0.0:8080", "http://localhost.evil.example",
               "http://127.0.0.1.nip.io", "HTTP://EXAMPLE.COM", "http://[2001:db8::1]"]


@pytest.mark.parametrize("host", REMOTE_HTTP)
def test_plain_http_to_a_remote_host_is_refused(host: str, driver: Driver,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """ConfigurationError before any connection, and the message never shows the token."""
    import httpx

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a request was attempted")

    monkeypatch.setattr(httpx.Client, "send", no_network)
    monkeypatch.setattr(httpx.AsyncClient, "send", no_network)
    for mode in MODES:
        try:
            obj = driver.build(host, token=TOKEN)
        except errors.ConfigurationError as error:
            outcome_error: BaseException | None = error
        else:
            outcome_error = driver.run(obj, mode).error
        assert isinstance(outcome_error, errors.ConfigurationError), repr(outcome_error)
        assert "http" in str(outcome_error) and TOKEN not in str(outcome_error)
        count("secrets: plain-http hosts refused")


@pytest.mark.parametrize("host", ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"])
def test_plain_http_to_loopback_is_allowed(host: str) -> None:
    """The emulator case: loopback over http is accepted (nothing leaves the machine)."""
    from databricks_claude.config import normalize_host

    assert normalize_host(host) == host


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every request; remembers whether it carried credentials."""

    seen: list[dict[str, str]]
    redirect_to: str | None

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        type(self).seen.append(dict(self.headers))
        if self.redirect_to:
            self.send_response(self.redirect_status)
            self.send_header("Location", self.redirect_to + self.path)
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_GET = _answer

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextlib.contextmanager
def _server(redirect_to: str | None = None, status: int = 302) -> Iterator[tuple[str, list[Any]]]:
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen, "redirect_to": redirect_to,
                                             "redirect_status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("auth", ["token", "oauth"])
def test_redirects_are_never_followed(status: int, auth: str, driver: Driver) -> None:
    """A redirect to another port: not followed, a typed error, no credential sent there."""
    with _server() as (target, received), _server(target, status) as (host, first_hop):
        settings = {"token": TOKEN} if auth == "token" else {"client_id": CLIENT_ID,
                                                              "client_secret": SECRET}
        obj = driver.build(host, max_retries=0, **settings)
        try:
            for mode in MODES:
                error = driver.run(obj, mode).error
                assert isinstance(error, errors.DatabricksClaudeError), repr(error)
                assert TOKEN not in str(error) and SECRET not in str(error)
                count("secrets: redirects refused")
        finally:
            driver.close(obj)
        assert first_hop, "the first server was never asked"
        assert received == [], f"the redirect was followed: {received}"

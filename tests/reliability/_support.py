"""Shared helpers of the reliability tests: counters for the session summary, hostile JSON."""

from __future__ import annotations

import copy
import json
import os
import random
import reprlib
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

_lock = threading.Lock()
COUNTS: Counter[str] = Counter()
LINES: list[str] = []


def count(name: str, n: int = 1) -> None:
    """Add `n` to the counter `name` (shown in the session summary)."""
    with _lock:
        COUNTS[name] += n


def report(line: str) -> None:
    """Print a summary line now (seen with -s) and keep it for the session summary."""
    print(line)
    with _lock:
        LINES.append(line)


def examples(default: int) -> int:
    """Hypothesis examples of a property test: `default` times RELIABILITY_SCALE (default 1)."""
    return max(1, int(default * float(os.environ.get("RELIABILITY_SCALE", "1"))))


def load_fixture(name: str) -> Any:
    """A JSON fixture from tests/fixtures."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------------
# Hostile JSON: random values biased towards the keys the parsers look at, and mutations of
# real payloads (one node replaced, deleted, retyped, duplicated).

WIRE_KEYS = (
    "choices", "message", "delta", "content", "type", "text", "summary", "signature", "data",
    "tool_calls", "function", "arguments", "name", "id", "index", "usage", "finish_reason",
    "role", "model", "prompt_tokens", "completion_tokens", "total_tokens",
    "cache_read_input_tokens", "cache_creation_input_tokens", "completion_tokens_details",
    "reasoning_tokens", "reasoning", "summary_text", "summary_encrypted_text", "image_url",
)
WIRE_STRINGS = (
    "reasoning", "summary_text", "summary_encrypted_text", "text", "function", "assistant",
    "stop", "tool_calls", "length", "", " ", "{}", '{"a": 1}', "{", "[DONE]", "null", "\x00",
    "\ud7ff", "é", "toolu_1",
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(WIRE_STRINGS),
    st.text(max_size=8),
)
json_keys = st.one_of(st.sampled_from(WIRE_KEYS), st.text(max_size=4))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(json_keys, inner, max_size=4),
    ),
    max_leaves=10,
)
# A cheaper variant for fields that are not the focus of a test (generation time adds up).
_small_scalar = st.one_of(st.none(), st.booleans(), st.integers(-2, 2),
                          st.sampled_from(WIRE_STRINGS))
small_json = st.one_of(
    _small_scalar,
    st.lists(_small_scalar, max_size=2),
    st.dictionaries(st.sampled_from(WIRE_KEYS), _small_scalar, max_size=2),
)
# Values JSON itself cannot carry but a Python caller (feed_chunk, parse_completion) can pass.
python_oddities = st.sampled_from(
    [float("nan"), float("inf"), b"bytes", (1, 2), {1, 2}, object(), 10**30, -1, 1.5])


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (tuple of keys / indices) to a node of a JSON tree, the root included."""
    found = [prefix]
    if isinstance(value, dict):
        for key, sub in value.items():
            found.extend(paths(sub, (*prefix, key)))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            found.extend(paths(sub, (*prefix, index)))
    return found


MUTATIONS = ("replace", "delete", "null", "retype", "duplicate", "wrap", "empty", "oddity")


def mutate(tree: Any, path: tuple[Any, ...], how: str, replacement: Any, oddity: Any) -> Any:
    """A copy of `tree` with the node at `path` mutated (`how` is one of MUTATIONS)."""
    tree = copy.deepcopy(tree)
    if not path:
        return replacement if how in ("replace", "retype") else None
    parent: Any = tree
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    node = parent[last]
    if how == "delete":
        del parent[last]
    elif how == "null":
        parent[last] = None
    elif how == "replace":
        parent[last] = replacement
    elif how == "retype":
        parent[last] = _retyped(node)
    elif how == "duplicate" and isinstance(parent, list):
        parent.insert(last, copy.deepcopy(node))
    elif how == "duplicate":
        parent[last] = [node, copy.deepcopy(node)]
    elif how == "wrap":
        parent[last] = [node]
    elif how == "empty":
        parent[last] = type(node)() if isinstance(node, (dict, list, str)) else 0
    else:
        parent[last] = oddity
    return tree


def _retyped(node: Any) -> Any:
    """The same information in the wrong type (a number as text, text as a list, ...)."""
    if isinstance(node, bool):
        return str(node).lower()
    if isinstance(node, (int, float)):
        return str(node)
    if isinstance(node, str):
        return [node] if len(node) % 2 else {"text": node}
    if isinstance(node, list):
        return {str(i): v for i, v in enumerate(node)}
    if isinstance(node, dict):
        return list(node.values())
    return 0


@st.composite
def mutated(draw: st.DrawFn, seeds: list[Any], max_mutations: int = 3) -> tuple[Any, list[Any]]:
    """One of `seeds` with 1..max_mutations random mutations; also returns the paths touched."""
    tree = copy.deepcopy(draw(st.sampled_from(seeds)))
    touched: list[Any] = []
    for _ in range(draw(st.integers(1, max_mutations))):
        all_paths = paths(tree)
        path = draw(st.sampled_from(all_paths))
        how = draw(st.sampled_from(MUTATIONS))
        replacement = draw(json_values)
        oddity = draw(python_oddities)
        tree = mutate(tree, path, how, replacement, oddity)
        touched.append(path)
    return tree, touched


def short_repr(value: Any) -> str:
    """A bounded repr, safe for very deep or very large values."""
    return _REPR.repr(value)


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxdict, _REPR.maxlist = 6, 80, 80, 8, 8


def describe_error(error: BaseException) -> str:
    """`Type: message`, for assertion messages."""
    return f"{type(error).__name__}: {error}"


# ----------------------------------------------------------------------------------------------
# The same hostility driven by a `random.Random` that hypothesis seeds (`st.randoms()`): an
# order of magnitude cheaper to generate than composite strategies, which is what lets each
# parser see 10,000+ cases within the CI time budget. Failures still report the input.

ODDITIES = (float("nan"), float("inf"), b"bytes", (1, 2), frozenset({1}), 10**30, -1, 1.5,
            True, "")


_ALPHABET = "ab{}[]\"\\:, \n\u00e9\u4e16\U0001f600\x00"


def rand_scalar(rnd: random.Random) -> Any:
    """A random JSON scalar, biased towards the strings and keys of the wire format."""
    pick = rnd.randrange(8)
    if pick == 0:
        return None
    if pick == 1:
        return rnd.random() < 0.5
    if pick == 2:
        return rnd.choice((0, 1, -1, 2**63, rnd.randint(-1000, 1000)))
    if pick == 3:
        return rnd.choice((0.5, -0.0, 1e308, rnd.uniform(-1e6, 1e6)))
    if pick in (4, 5):
        return rnd.choice(WIRE_STRINGS)
    if pick == 6:
        return rnd.choice(WIRE_KEYS)
    return "".join(rnd.choice(_ALPHABET) for _ in range(rnd.randrange(6)))


def rand_json(rnd: random.Random, depth: int = 0) -> Any:
    """A random JSON value, at most three levels deep."""
    pick = rnd.randrange(10)
    if depth >= 3 or pick < 5:
        return rand_scalar(rnd)
    if pick < 7:
        return [rand_json(rnd, depth + 1) for _ in range(rnd.randrange(4))]
    keys = WIRE_KEYS if rnd.random() < 0.8 else WIRE_STRINGS
    return {rnd.choice(keys): rand_json(rnd, depth + 1) for _ in range(rnd.randrange(5))}


def rand_mutate(rnd: random.Random, tree: Any, times: int = 3,
                oddities: bool = True) -> tuple[Any, list[tuple[Any, ...]]]:
    """`tree` with 1..times random mutations (see `mutate`); also returns the paths touched."""
    touched = []
    for _ in range(rnd.randint(1, times)):
        path = rnd.choice(paths(tree))
        how = rnd.choice(MUTATIONS if oddities else MUTATIONS[:-1])
        tree = mutate(tree, path, how, rand_json(rnd), rnd.choice(ODDITIES))
        touched.append(path)
    return tree, touched

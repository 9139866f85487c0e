"""Which tools a prompt asks for: word overlap with each tool's name, description and parameters.

Deterministic and light: words are lower-cased, split at camelCase and snake_case, and stemmed
by stripping a few English endings, so "weather" matches `get_weather` and "converting" matches
"Convert a temperature". A tool is asked for when it shares enough meaningful words with the
prompt; "hi" asks for nothing, as it would not make Claude call a tool.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_WORD = re.compile(r"[^\W\d_][^\W_]*|\d+[^\W\d_]+", re.UNICODE)
# Scripts written without spaces: Han, Katakana and Hangul runs are read as character pairs
# ("東京の天気" gives 東京, 天気), which is how two such texts are seen to share words.
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u30a0-\u30ff\uac00-\ud7af]{2,}")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_MATH = re.compile(r"\d\s*(?:[-+*/^%×÷]|\*\*)\s*[\d(]")
_USE_TOOL = re.compile(r"\b(?:use|call|using|run|with)\s+(?:the\s+|a\s+|your\s+|my\s+)?"
                       r"(?:\w+\s+)?(?:tool|function)s?\b|\bschema\b", re.IGNORECASE)
_CALL_VERB = r"\b(?:call|calling|use|using|invoke|invoking|run)\s+(?:the\s+)?`?"
_MATH_WORDS = frozenset({"calculat", "calculator", "arithmetic", "math", "expression", "evaluat",
                         "comput", "add", "sum", "multiply", "subtract", "divide", "product"})
# Words too common to say which tool is meant (both sides are filtered).
_STOP_TEXT = """
a an the and or but if of to in on at by for with from into onto as is are was were be been
being am do does did done have has had having can could should would will shall may might must
what which who whom whose when where why how this that these those there here it its it's
i me my mine we us our you your he she they them their his her please kindly thank thanks
get gets set sets give tell show find make let need want like know some any all each both
one also just very more most much many such than then so not no yes ok okay use using used
tool tools function functions call calls value values current return returns result results
input output arg args argument arguments param parameter parameters str int float bool none
true false string number integer object array type types title description required optional
default defaults e.g eg etc via about over under up down out what's whats i'm
"""
_STOP = frozenset(_STOP_TEXT.split())
_ENDINGS = ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s")


def stem(word: str) -> str:
    """A word lower-cased, one common English ending stripped (light, deterministic)."""
    word = word.lower()
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def words(text: str) -> set[str]:
    """The meaningful stems of a text (camelCase and snake_case split, stop words dropped)."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).replace("_", " ").replace("-", " ")
    found = [w for w in _WORD.findall(_CJK.sub(" ", spaced)) if w.lower() not in _STOP]
    pairs = {run[i:i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)}
    return {stem(w) for w in found if len(w) > 2 or not w.isascii()} | pairs


@functools.lru_cache(maxsize=64)  # one prompt is scored against every tool of the request
def prompt_words(prompt: str) -> frozenset[str]:
    """The prompt's stems, plus each pair of neighbours joined ("look up" also gives "lookup")."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", prompt).replace("_", " ").replace("-", " ")
    raw = [w.lower() for w in _WORD.findall(spaced)]
    joined = {stem(a + b) for a, b in itertools.pairwise(raw)}
    return frozenset(words(prompt) | joined)


@dataclass(frozen=True)
class ToolText:
    """What a tool says about itself: its name and the rest of its self-description."""

    name: str
    description: str = ""
    parameters: Any = None

    def name_words(self) -> set[str]:
        """The stems of the name (`get_weather` gives {"weather"})."""
        return words(self.name) | {stem(self.name.replace("_", ""))} - _STOP

    def other_words(self) -> set[str]:
        """The stems of the description and the parameters' names and descriptions."""
        found = words(self.description)
        schema = self.parameters if isinstance(self.parameters, dict) else {}
        properties = schema.get("properties")
        for key, spec in (properties.items() if isinstance(properties, dict) else ()):
            found |= words(str(key))
            if isinstance(spec, dict):
                found |= words(str(spec.get("description", "")))
        return found


def tool_text(tool: dict[str, Any]) -> ToolText:
    """The `ToolText` of an OpenAI-style tool dict (missing fields read as empty)."""
    function = tool.get("function")
    function = function if isinstance(function, dict) else {}
    return ToolText(str(function.get("name", "")), str(function.get("description") or ""),
                    function.get("parameters"))


def score(tool: ToolText, prompt: str, system: str = "") -> int:
    """How strongly the prompt asks for the tool: name words count 3, other words 1.

    An instruction to call the tool by its exact name, in the prompt or the system prompt
    ("answer by calling the `Person` tool"), counts like a name word.
    """
    asked = prompt_words(prompt)
    name, other = tool.name_words(), tool.other_words()
    value = 3 * len(asked & name) + len(asked & (other - name))
    if _MATH.search(prompt) and (name | other) & _MATH_WORDS:
        value += 3  # "17 * 23" asks for a calculator though it shares no word with it
    if tool.name and re.search(_CALL_VERB + re.escape(tool.name) + r"\b", f"{system}\n{prompt}"):
        value += 3
    return value


def asked_for(tools: Sequence[ToolText], prompt: str, system: str = "") -> list[int]:
    """Indexes of the tools the prompt asks for, in the order given.

    A tool is asked for when it scores at least 2 and at least half the best score (so a word
    two tools share does not pull in the weaker one). When nothing scores but the prompt says
    "use the tool" (or "the provided schema"), the first tool is meant (all of them for "use the
    tools" / "both tools").
    """
    scores = [score(tool, prompt, system) for tool in tools]
    best = max(scores, default=0)
    chosen = [i for i, s in enumerate(scores) if s >= 2 and 2 * s >= best]
    if chosen or not tools:
        return chosen
    match = _USE_TOOL.search(prompt)
    if match is None:
        return []
    plural = re.search(r"\b(?:tools|functions|both|all|each|every)\b", prompt, re.IGNORECASE)
    return list(range(len(tools))) if plural else [0]


def ranked(tools: Sequence[ToolText], prompt: str) -> list[int]:
    """Indexes of all the tools, best score first (stable for ties)."""
    scores = [score(tool, prompt) for tool in tools]
    return sorted(range(len(tools)), key=lambda i: -scores[i])


def first_mention(tool: ToolText, prompt: str) -> int:
    """Where in the prompt the tool is first named (0 when it is not): arguments come after."""
    wanted = tool.name_words() | tool.other_words()
    for match in _WORD.finditer(prompt):
        if stem(match.group(0)) in wanted:
            return match.start()
    return 0

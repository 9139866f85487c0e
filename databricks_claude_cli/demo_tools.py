"""Two small local tools for the CLI's `--tools demo`: a weather lookup and a calculator.

Both are deterministic and offline, so the demo behaves the same against the emulator and a
workspace. Each tool is a plain function plus a JSON schema; the adapters wrap them as their
framework's tools.
"""

from __future__ import annotations

import ast
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_WEATHER = {"paris": (18, "light rain"), "tokyo": (24, "sunny"), "london": (14, "overcast")}


def get_weather(city: str, unit: str = "celsius") -> str:
    """Current weather for a city (a fixed, made-up table so the demo is reproducible)."""
    if unit not in ("celsius", "fahrenheit"):
        return json.dumps({"city": city, "error": f"unknown unit {unit!r}: use celsius or "
                                                  "fahrenheit"})
    temp_c, sky = _WEATHER.get(city.strip().lower(), (21, "clear"))
    temp = temp_c if unit == "celsius" else round(temp_c * 9 / 5 + 32)
    return json.dumps({"city": city, "temperature": temp, "unit": unit, "sky": sky})


_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
}


_MAX_BITS = 3322  # about 1000 decimal digits


def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression (+ - * / ** %, parentheses) without `eval`."""
    try:
        value = _evaluate(ast.parse(expression, mode="eval").body)
        # Inside the try: an infinite float is not JSON (allow_nan=False raises ValueError).
        return json.dumps({"expression": expression, "result": value}, allow_nan=False)
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError) as exc:
        return json.dumps({"expression": expression, "error": str(exc)})


def _evaluate(node: ast.expr) -> float | int:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 100:
            raise ValueError("exponent too large")
        result: float | int = _OPS[type(node.op)](left, right)
        if isinstance(result, complex):
            raise ValueError("the result is not a real number")  # e.g. (-8) ** 0.5
        if isinstance(result, int) and result.bit_length() > _MAX_BITS:
            raise ValueError("result too large")  # nested powers would run for hours
        return result
    raise ValueError(f"unsupported expression element: {ast.dump(node)[:40]}")


@dataclass(frozen=True)
class DemoTool:
    """A demo tool: the function, its name, description and JSON-schema parameters."""

    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[..., str]

    def run(self, arguments: dict[str, Any]) -> str:
        """Call the tool; bad arguments come back as an error result the model can read."""
        try:
            return self.function(**arguments)
        except TypeError as exc:
            return json.dumps({"error": f"bad arguments for {self.name}: {exc}"})


DEMO_TOOLS: tuple[DemoTool, ...] = (
    DemoTool(
        "get_weather",
        "Get the current weather for a city.",
        {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
        get_weather,
    ),
    DemoTool(
        "calculate",
        "Evaluate an arithmetic expression such as '17 * 23'.",
        {
            "type": "object",
            "properties": {"expression": {"type": "string", "description": "e.g. 17 * 23"}},
            "required": ["expression"],
        },
        calculate,
    ),
)

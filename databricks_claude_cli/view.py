"""How the CLI shows a chat: reasoning apart from the answer, tool calls as they happen."""

from __future__ import annotations

from typing import Literal, TextIO

Section = Literal["thinking", "answer", "none"]

_DIM, _BOLD, _CYAN, _RESET = "\033[2m", "\033[1m", "\033[36m", "\033[0m"


class ChatView:
    """Writes streamed pieces to a terminal or file, labelling each switch of section.

    On a terminal, reasoning is dimmed; in a file or pipe, each section starts on its own line
    with a `thinking>` or `answer>` label so the output stays readable as plain text.
    """

    def __init__(self, out: TextIO, *, color: bool) -> None:
        self._out = out
        self._color = color
        self._section: Section = "none"

    def reasoning(self, text: str) -> None:
        """Show a fragment of reasoning."""
        if text:
            self._enter("thinking")
            self._out.write(text)
            self._out.flush()

    def answer(self, text: str) -> None:
        """Show a fragment of the answer."""
        if text:
            self._enter("answer")
            self._out.write(text)
            self._out.flush()

    def tool_call(self, name: str, arguments: str) -> None:
        """Show that the model called a tool."""
        self._line(f"tool> {name}({arguments})", _CYAN)

    def tool_result(self, name: str, result: str) -> None:
        """Show what a tool returned."""
        self._line(f"tool> {name} -> {result}", _CYAN)

    def close(self) -> None:
        """End the last line."""
        self._enter("none")

    def _enter(self, section: Section) -> None:
        if section == self._section:
            return
        if self._section != "none":
            self._out.write(_RESET + "\n" if self._color else "\n")
        self._section = section
        if section == "thinking":
            self._out.write(f"{_DIM}thinking> " if self._color else "thinking> ")
        elif section == "answer":
            self._out.write(f"{_BOLD}answer>{_RESET} " if self._color else "answer> ")

    def _line(self, text: str, color: str) -> None:
        self._enter("none")
        self._out.write(f"{color}{text}{_RESET}\n" if self._color else f"{text}\n")
        self._out.flush()

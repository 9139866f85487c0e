"""One table of role aliases for every adapter."""

from __future__ import annotations

from databricks_claude.errors import ConfigurationError
from databricks_claude.messages import Role

__all__ = ["ROLE_ALIASES", "neutral_role"]

#: Role names frameworks and other providers use, to the neutral role they mean.
ROLE_ALIASES: dict[str, Role] = {
    "system": "system", "developer": "system",
    "user": "user", "human": "user",
    "assistant": "assistant", "ai": "assistant", "chatbot": "assistant", "model": "assistant",
    "tool": "tool", "function": "tool",
}


def neutral_role(name: str) -> Role:
    """The neutral role of a role name (case-insensitive); `ConfigurationError` if unknown."""
    role = ROLE_ALIASES.get(name.lower())
    if role is None:
        known = ", ".join(sorted(ROLE_ALIASES))
        raise ConfigurationError(f"unsupported message role {name!r} (known roles: {known})")
    return role

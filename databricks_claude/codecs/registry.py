"""The wires by name, as `api=` takes them: "chat" (chat completions) and "messages" (the
native Anthropic Messages route)."""

from __future__ import annotations

from types import MappingProxyType

from databricks_claude.codecs import Codec
from databricks_claude.codecs.chat import CHAT
from databricks_claude.codecs.messages import MESSAGES
from databricks_claude.errors import ConfigurationError

__all__ = ["APIS", "CODECS", "codec_for"]

#: Every codec by its `api` name.
CODECS: MappingProxyType[str, Codec] = MappingProxyType({CHAT.name: CHAT,
                                                         MESSAGES.name: MESSAGES})
#: The accepted `api` values.
APIS = tuple(CODECS)


def codec_for(api: str) -> Codec:
    """The codec of `api`; a `ConfigurationError` naming the accepted values otherwise."""
    codec = CODECS.get(api) if isinstance(api, str) else None
    if codec is None:
        raise ConfigurationError(f"api must be one of {', '.join(map(repr, APIS))}, got {api!r} "
                                 "(chat: the chat-completions route; messages: the native "
                                 "Anthropic Messages route)")
    return codec

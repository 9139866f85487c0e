"""The adapter kit: the decisions every framework adapter makes, made once, framework-free.

An adapter (LangChain, LlamaIndex, the next one) keeps only what is about its framework: its
message and block types, its callbacks, its error classes. Everything else it asks the kit:

- `clients`: a model object's settings to a core client, one client set per model object,
  built on first use, closed with the object (`ClientRegistry`).
- `options`: a call's keyword arguments over the model's fields to `RequestOptions`.
- `secrets`: pickled state without credentials.
- `roles`: one table of role aliases.
- `images`: one base64 image type sniffer and `data:` URL builder; remote image URLs inlined
  before a request (fetched safely by `fetch`); the one refusal of documents, audio and video.
- `placement`: where unknown blocks sit, so a replay puts them back.
- `tools`: tool dicts (OpenAI, Anthropic, JSON schema) to `ToolSpec`.
"""

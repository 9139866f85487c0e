"""`databricks-claude`: the command line, an application layer above the client and adapters.

It is the only product package that imports the adapters, the frameworks and the emulator
together; the core (`databricks_claude`) imports none of them (see ARCHITECTURE.md).
"""

from databricks_claude_cli.app import main

__all__ = ["main"]

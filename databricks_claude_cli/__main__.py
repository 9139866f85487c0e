"""`python -m databricks_claude_cli`: the same as the `databricks-claude` command."""

from databricks_claude_cli.app import main

raise SystemExit(main())

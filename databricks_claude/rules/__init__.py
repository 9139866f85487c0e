"""Wire-neutral request rules: what Claude accepts, decided once for every codec and adapter.

A codec renders what these rules decide into its own payload keys; an adapter that must know a
decision before a request exists (structured output choosing between a forced tool and an
instruction) asks the same rule.
"""

"""The new-user findings: one test module per finding (`test_fNN_<slug>.py`), per item left open
before (`test_open_<slug>.py`), and per emulator behaviour as a Claude-like test double
(`test_emu_<slug>.py`). Their fixtures (`make_lc`, `make_li`, `amake_li`) are in
tests/conftest.py.
"""

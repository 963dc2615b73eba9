"""Starts coverage in a Python process that has this folder first on its PYTHONPATH, when
COVERAGE_PROCESS_START names the configuration (pyproject.toml). The test harness puts it there
for the bot's own `python -m bot` subprocesses only while coverage is measured; the README's
"Test it" section puts it on the test processes' path too. No .pth file is written anywhere.
"""

try:
    import coverage
except ImportError:  # coverage not installed: nothing to measure
    pass
else:
    coverage.process_startup()

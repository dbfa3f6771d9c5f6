"""Benchmarks of the monitor: commands that print figures, never tests.

Run them from the repository root as modules, for example
`.venv/bin/python -m bench.monitor.replay`; `make help` lists the make targets.
"""

"""Reliability suite (issue 7): faults, crashes, lifecycle properties, fuzzing, scale-out.

CI runs it small (`pytest`); `python -m tests.reliability.full` runs it full size and writes
docs/reliability-figures.md. Sizes are in sizes.py.
"""

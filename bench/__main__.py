"""`python -m bench [--quick]`: run every benchmark and write docs/performance.md (see bench/run.py)."""

import sys

from bench.run import main

sys.exit(main(command="python -m bench"))

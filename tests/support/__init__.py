"""Test support: the app harness that wires CaseSwarm to the sandboxes through the real composition root."""

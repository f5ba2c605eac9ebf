"""Use cases: each records what was asked and the work it causes in one transaction (see swarm.store.outbox)."""

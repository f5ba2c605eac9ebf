"""The application shell: the composition root and the entry points (CLI, demo).

The only part of swarm/ that knows the integrations; the core (swarm.model, swarm.usecases, swarm.store) does not.
"""

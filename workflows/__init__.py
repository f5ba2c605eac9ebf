"""Durable case workflows and the routing engine that decides who joins a swarm."""

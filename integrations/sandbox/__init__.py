"""Shared machinery for our sandbox servers: local HTTP servers that speak a vendor's real wire contract.

Each external system (Slack, Jira, Salesforce, Graph, Bot Connector) has one sandbox built on `SandboxServer`:
it keeps state, records every request, and can be told to fail. The real client library is pointed at it by a
base-URL setting, in tests and in `swarm demo` alike.
"""

from integrations.sandbox.server import Fault, RecordedRequest, SandboxServer

__all__ = ["Fault", "RecordedRequest", "SandboxServer"]

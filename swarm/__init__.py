"""CaseSwarm core: the case domain, its use cases, ports and storage. Imports no platform code."""

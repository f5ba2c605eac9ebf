"""A stateful Salesforce REST API sandbox over TLS for tests and the demo; see server.py for the call names."""

from integrations.salesforce.sandbox.server import REQUEST_LIMIT_EXCEEDED, SalesforceSandbox, SeededOrg

__all__ = ["REQUEST_LIMIT_EXCEEDED", "SalesforceSandbox", "SeededOrg"]

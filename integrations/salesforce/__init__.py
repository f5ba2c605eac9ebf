"""Salesforce: the CRM adapter (crm.py) and a stateful sandbox of the Salesforce REST API (sandbox/)."""

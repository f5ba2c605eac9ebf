"""The Flask app: Slack's endpoint, webhooks, health (and later the dashboard and JSON API)."""

"""Bolt listeners: each translates a Slack request into one use case call and the result into a reply."""

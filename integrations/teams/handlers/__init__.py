"""The bot's inbound handlers: each translates a Teams activity into one use case call and the result into a reply."""

"""Microsoft Teams integration: the TeamsChat adapter (msgraph-sdk + Teams SDK), the bot's inbound handlers,
the app manifest, and the Teams sandbox (Graph, Bot Connector, identity) with a driver that plays Teams."""

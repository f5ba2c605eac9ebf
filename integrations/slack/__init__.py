"""Slack integration: the Bolt adapter, the Slack conversation port implementation and the Slack sandbox."""

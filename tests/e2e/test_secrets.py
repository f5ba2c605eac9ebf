"""Secrets never reach the logs, at any level, through a whole swarm with every system configured."""

from __future__ import annotations

import logging


def test_no_configured_secret_appears_in_any_log_line(synced_swarm, caplog):
    caplog.set_level(logging.DEBUG)  # slack_sdk logs whole requests at DEBUG: its redaction must hold too
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level:  # e.g. quietened by an earlier `swarm` command
            caplog.set_level(logging.DEBUG, logger=name)
    settings = synced_swarm.container.settings
    secrets = {settings.slack_bot_token.get_secret_value(), settings.slack_signing_secret.get_secret_value(),
               settings.jira_api_token.get_secret_value(), settings.jira_webhook_secret.get_secret_value(),
               settings.salesforce_access_token.get_secret_value()}
    synced_swarm.escalate("Acme Corp was charged twice\nRefund please.", crm_case="00001001")
    synced_swarm.drain()
    channel = synced_swarm.case().channel_id
    synced_swarm.command("decide Refund today", channel=channel)
    synced_swarm.sandbox.fail_next("chat.postMessage", 500)  # error paths log too
    synced_swarm.command("resolve Refunded", channel=channel)
    synced_swarm.drain()
    assert len(caplog.records) > 50  # the check below means something only if the app logged
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records) + caplog.text
    leaked = {s[:6] + "…" for s in secrets if s in logged}
    assert leaked == set()
    assert repr(settings).count("**********") >= 5  # SecretStr in the settings' repr

"""App Home: when someone opens the app's Home tab, publish their view (managers and experts see different things)."""

from __future__ import annotations

from slack_bolt import App

from integrations.slack.home import home_view
from swarm.store.tables import utcnow


def register(app: App, container, *, clock=utcnow) -> None:
    dashboard_url = f"{container.settings.public_url.rstrip('/')}/dashboard"
    reminders = container.config.sla.reminders
    at_risk_share = reminders[-1] if reminders else 0.8  # "at risk" from the last SLA reminder, as on the dashboard

    @app.event("app_home_opened")
    def on_home_opened(event, client):
        if event.get("tab", "home") != "home":
            return  # the Messages tab needs nothing from us
        with container.store.read() as session:
            view = home_view(session, config=container.config, user_id=event["user"], now=clock(),
                             at_risk_share=at_risk_share, dashboard_url=dashboard_url)
        client.views_publish(user_id=event["user"], view=view)

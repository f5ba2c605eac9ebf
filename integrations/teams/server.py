"""Serve the bot's ASGI app with uvicorn in a background thread, on a host and port we choose.

(The SDK's own app.start() binds 0.0.0.0; `swarm serve`, the demo and the tests bind where they are told.)
"""

from __future__ import annotations

import threading
import time

import uvicorn


class TeamsServer:
    def __init__(self, asgi_app, *, host: str = "127.0.0.1", port: int = 3978, log_level: str = "warning"):
        config = uvicorn.Config(asgi_app, host=host, port=port, log_level=log_level, access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self.host = host

    def start(self, timeout: float = 10.0) -> str:
        """Start serving and return the base URL once the socket is listening."""
        self._thread = threading.Thread(target=self._server.run, name="teams-bot-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the Teams bot server did not start")
            time.sleep(0.02)
        return self.url

    @property
    def port(self) -> int:
        return self._server.servers[0].sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)

"""The listening side: threads instead of Odoo's processes, the same ports and the same split.

- Threaded mode (workers = 0): http_port only; it also answers websocket upgrades.
- Prefork mode (workers > 0): http_port, which refuses websocket upgrades the way Odoo's workers do,
  and gevent_port, which serves everything including websockets.
SIGTERM or SIGINT closes the listeners and open websockets and returns within a second or so.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import cron, logs, pages, pg, proxy, websocket
from .web import Request, Response

_logger = logging.getLogger("standin.server")
_access = logging.getLogger("werkzeug")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stand-in"
    sys_version = ""
    timeout = 75  # idle keep-alive connections
    # Headers and body leave in separate writes: without TCP_NODELAY the body waits for the
    # client's delayed ACK (about 40 ms per keep-alive response), as werkzeug avoids too.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return self.server_version

    def _serve(self) -> None:
        start = time.monotonic()
        pg.reset_stats()
        logs.set_db(None)
        server: Server = self.server  # type: ignore[assignment]
        remote = self.client_address[0]
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            origin = proxy.request_origin(self.headers, remote, bool(server.app.cfg["proxy_mode"]))
            remote = origin.remote_addr
            request = Request(self.command, self.path, self.request_version, self.headers, body, origin)
            response = server.app.handle(request, websocket_here=server.websocket_here)
        except Exception:  # pylint: disable=broad-exception-caught  # answered as Odoo does: a 500 page
            _logger.exception("Exception during request handling.")
            response = Response(pages.error(500, "Internal Server Error", "The server encountered an internal error."), 500)
        self._write(response)
        count, query_time = pg.stats()
        _access.info(logs.access_line(remote, self.command, self.path, self.request_version, response.status,
                                      count, query_time, time.monotonic() - start))
        if response.upgrade:
            self.close_connection = True
            self.connection.settimeout(None)
            server.serve_websocket(websocket.Connection(self.connection, self.rfile))

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if not response.upgrade:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)
        self.wfile.flush()

    def log_request(self, code="-", size="-") -> None:
        """Logged by _serve, with the forwarded address."""

    def log_message(self, format, *args) -> None:  # pylint: disable=redefined-builtin
        _logger.debug("%s %s", self.client_address[0], format % args)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app, websocket_here: bool):
        super().__init__(address, Handler)
        self.app = app
        self.websocket_here = websocket_here
        self._websockets: set = set()
        self._lock = threading.Lock()

    def handle_error(self, request, client_address) -> None:
        _logger.debug("connection from %s ended with an error", client_address[0], exc_info=True)

    def serve_websocket(self, conn: websocket.Connection) -> None:
        with self._lock:
            self._websockets.add(conn)
        try:
            conn.serve_echo()
        finally:
            with self._lock:
                self._websockets.discard(conn)

    def close_websockets(self) -> None:
        with self._lock:
            open_ones = list(self._websockets)
        for conn in open_ones:
            conn.close(websocket.CLOSE_GOING_AWAY, "server shutdown")


def listeners(cfg, app) -> list[tuple[str, Server]]:
    if not cfg["http_enable"]:
        return []
    interface = cfg.get("http_interface") or "0.0.0.0"
    prefork = cfg.prefork
    servers = [("HTTP service (werkzeug)", Server((interface, int(cfg["http_port"])), app, websocket_here=not prefork))]
    if prefork:
        servers.append(("Evented Service (websocket)", Server((interface, int(cfg["gevent_port"])), app, True)))
    return servers


def serve(cfg, app) -> int:
    stop = threading.Event()

    def on_signal(signum, _frame):
        _logger.info("Initiating shutdown (%s)", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    servers = listeners(cfg, app)
    for label, server in servers:
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
        host, port = server.server_address[:2]
        _logger.info("%s running on %s:%s", label, host, port)
    mode = f"prefork mode, {cfg['workers']} workers (threads here)" if cfg.prefork else "threaded mode"
    _logger.info("stand-in serving in %s", mode)
    cron.start(cfg, app.pool, stop)
    while not stop.wait(0.5):
        pass
    for server in [entry[1] for entry in servers]:
        server.shutdown()
        server.close_websockets()
        server.server_close()
    app.pool.flush()
    _logger.info("stopped")
    return 0

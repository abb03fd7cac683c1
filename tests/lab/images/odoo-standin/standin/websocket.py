"""RFC 6455 websockets: the handshake checks Odoo's bus makes, and an echo loop for text frames.

Odoo answers the upgrade only on its evented port in prefork mode (on the HTTP port in threaded
mode); where to answer is the server's decision, this module only speaks the protocol.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import threading

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SUPPORTED_VERSIONS = ("13",)
# Odoo's bus refuses a handshake without any of these (Origin included).
REQUIRED_HEADERS = ("connection", "host", "sec-websocket-key", "sec-websocket-version", "upgrade", "origin")
MAX_MESSAGE = 2 ** 20

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CLOSE_NORMAL, CLOSE_GOING_AWAY, CLOSE_PROTOCOL_ERROR, CLOSE_TOO_BIG = 1000, 1001, 1002, 1009


class ConnectionClosed(Exception):
    """The peer went away or broke the protocol."""


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode("ascii")).digest()).decode("ascii")


def is_upgrade_request(headers) -> bool:
    return (headers.get("Upgrade") or "").lower() == "websocket"


def handshake_error(headers) -> tuple[int, str] | None:
    """(HTTP status, reason) when the upgrade request is invalid, as Odoo's bus checks it."""
    missing = sorted(name for name in REQUIRED_HEADERS if not headers.get(name))
    if missing:
        return 400, f"Empty or missing header(s): {', '.join(missing)}"
    if headers.get("upgrade").lower() != "websocket":
        return 400, "Invalid upgrade header"
    if "upgrade" not in headers.get("connection").lower():
        return 400, "Invalid connection header"
    if headers.get("sec-websocket-version") not in SUPPORTED_VERSIONS:
        return 426, "Upgrade Required"
    try:
        decoded = base64.b64decode(headers.get("sec-websocket-key"), validate=True)
    except (binascii.Error, ValueError):
        return 400, "Sec-WebSocket-Key should be b64 encoded"
    if len(decoded) != 16:
        return 400, "Sec-WebSocket-Key should be of length 16 once decoded"
    return None


def encode_frame(opcode: int, payload: bytes = b"", fin: bool = True) -> bytes:
    """A server frame (never masked)."""
    head = (0x80 if fin else 0) | opcode
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", head, size)
    elif size < 2 ** 16:
        header = struct.pack("!BBH", head, 126, size)
    else:
        header = struct.pack("!BBQ", head, 127, size)
    return header + payload


def _read_exact(rfile, size: int) -> bytes:
    data = rfile.read(size) if size else b""
    if len(data) != size:
        raise ConnectionClosed("connection closed by the peer")
    return data


def read_frame(rfile) -> tuple[bool, int, bytes]:
    """(fin, opcode, unmasked payload) of the next client frame."""
    first, second = _read_exact(rfile, 2)
    size = second & 0x7F
    if size == 126:
        size = struct.unpack("!H", _read_exact(rfile, 2))[0]
    elif size == 127:
        size = struct.unpack("!Q", _read_exact(rfile, 8))[0]
    if not second & 0x80:
        raise ConnectionClosed("client frames must be masked")
    if size > MAX_MESSAGE:
        raise ConnectionClosed("message too big")
    mask = _read_exact(rfile, 4)
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(_read_exact(rfile, size)))
    return bool(first & 0x80), first & 0x0F, payload


class Connection:
    """An upgraded connection: echoes text and binary messages until either side closes."""

    def __init__(self, sock, rfile):
        self.sock = sock
        self.rfile = rfile
        self._lock = threading.Lock()
        self.closed = False

    def send(self, opcode: int, payload: bytes = b"") -> None:
        with self._lock:
            if not self.closed:
                self.sock.sendall(encode_frame(opcode, payload))

    def close(self, code: int = CLOSE_GOING_AWAY, reason: str = "") -> None:
        """Send a close frame (once) and stop reading."""
        try:
            self.send(CLOSE, struct.pack("!H", code) + reason.encode("utf-8")[:120])
        except OSError:
            pass
        with self._lock:
            self.closed = True

    def serve_echo(self) -> None:
        message_opcode, fragments = None, []
        try:
            while not self.closed:
                fin, opcode, payload = read_frame(self.rfile)
                if opcode == CLOSE:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else CLOSE_NORMAL
                    self.close(code)
                    return
                if opcode == PING:
                    self.send(PONG, payload)
                elif opcode in (TEXT, BINARY, CONTINUATION):
                    if opcode != CONTINUATION:
                        message_opcode, fragments = opcode, []
                    fragments.append(payload)
                    if fin and message_opcode is not None:
                        self.send(message_opcode, b"".join(fragments))
                        message_opcode, fragments = None, []
        except ConnectionClosed as exc:
            self.close(CLOSE_PROTOCOL_ERROR, str(exc))
        except OSError:
            self.closed = True

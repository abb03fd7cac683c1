"""Where a request came from, with Odoo's proxy_mode rule.

Odoo applies werkzeug's ProxyFix (x_for=1, x_proto=1, x_host=1) only when proxy_mode is on AND the
request carries X-Forwarded-Host. Trusting one proxy hop means the LAST value of each header: the
one the proxy in front appended. Without proxy_mode the headers are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    remote_addr: str
    host: str
    scheme: str


def _last(value: str | None) -> str | None:
    values = [item.strip() for item in (value or "").split(",") if item.strip()]
    return values[-1] if values else None


def request_origin(headers, peer: str, proxy_mode: bool) -> Origin:
    """`headers` is any mapping with case-insensitive .get (http.client.HTTPMessage)."""
    host = headers.get("Host") or ""
    if not (proxy_mode and headers.get("X-Forwarded-Host")):
        return Origin(peer, host, "http")
    return Origin(
        _last(headers.get("X-Forwarded-For")) or peer,
        _last(headers.get("X-Forwarded-Host")) or host,
        (_last(headers.get("X-Forwarded-Proto")) or "http").lower(),
    )

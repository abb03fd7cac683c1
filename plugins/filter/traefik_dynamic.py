# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# Documentation: traefik_dynamic.yml and traefik_routes.yml next to this file (one per filter).

import copy
import hashlib
import typing as t

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.filter.core import get_encrypted_password
from ansible_collections.odoo_cloud.platform.plugins.filter.odoo_instances import odoo_routes

# Where an Odoo host publishes its instance ports, first found wins, then the inventory name (the odoo
# role's odoo_publish_address default follows the same order).
ADDRESS_VARS = ("odoo_publish_address", "private_address", "ansible_host")

# The middlewares and servers transport of the role's files (traefik_extra_dynamic_config uses them by name).
SECURITY_HEADERS = "odoo-security-headers"
COMPRESS = "odoo-compress"
LOGIN_RATELIMIT = "odoo-login-ratelimit"
DENY_ALL = "odoo-deny-all"
DASHBOARD_AUTH = "dashboard-auth"
TRANSPORT = "odoo"
DASHBOARD_ROUTER = "dashboard"
# 255.255.255.255 is never the source of a TCP connection: ipAllowList answers 403 to everybody.
NOBODY = "255.255.255.255/32"

DEFAULTS: dict[str, t.Any] = {
    "compress": True,
    "login_rate_limit": {"average": 10, "period": "1m", "burst": 10, "paths": ["/web/login", "/web/session/authenticate"]},
    "trusted_ips": [],
    "hsts_max_age": 31536000,
    "hsts_include_subdomains": True,
    "hsts_preload": False,
    "frame_options": "SAMEORIGIN",
    "referrer_policy": "strict-origin-when-cross-origin",
    "content_security_policy": "",
    "permissions_policy": "",
    "remove_response_headers": ["Server", "X-Powered-By"],
    "backend_max_idle_conns": 200,
    "backend_dial_timeout": 30,
    "backend_response_timeout": 660,
    "tls_min_version": "VersionTLS12",
    "tls_cipher_suites": [
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    ],
    "tls_curve_preferences": ["X25519MLKEM768", "X25519", "CurveP256", "CurveP384"],
    "tls_sni_strict": True,
    "certificates": [],
    "acme_on": False,
    "acme_domains": [],
    "cert_resolver": "acme",
    "extra_dynamic_config": {},
}


def odoo_backends(hostvars: t.Any, hosts: t.Any) -> list[dict[str, t.Any]]:
    """One entry per Odoo host for odoo_routes: its name, the address its ports are published on, its instances."""
    if hosts is None:
        return []
    if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("traefik_routes: the hosts must be a list of inventory names (groups[traefik_odoo_group])")
    backends = []
    for host in hosts:
        host = to_text(host)
        try:
            hv = hostvars[host]
        except KeyError:
            raise AnsibleFilterError(f"traefik_routes: host {host} is not in the inventory") from None
        address: t.Any = host
        for var in ADDRESS_VARS:
            if var in hv and hv[var] is not None:
                address = hv[var]
                break
        backends.append({
            "host": host,
            "address": to_text(address) if address else address,
            "instances": hv["odoo_instances"] if "odoo_instances" in hv else [],
        })
    return backends


def traefik_routes(hostvars: t.Any, hosts: t.Any) -> list[dict[str, t.Any]]:
    """The routes of the Odoo instances of these hosts (odoo_routes' rules), each with its routers' names."""
    routes = odoo_routes(odoo_backends(hostvars, hosts))
    for route in routes:
        route["routers"] = router_names(route["name"])
    return routes


def router_names(name: str) -> dict[str, str]:
    """The one place that names a route's routers (and its services: the main and websocket ones)."""
    return {
        "main": name,
        "websocket": f"{name}-websocket",
        "login": f"{name}-login",
        "database_manager": f"{name}-database-manager",
    }


def _settings(settings: t.Any) -> dict[str, t.Any]:
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        raise AnsibleFilterError("traefik_dynamic: settings must be a mapping")
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        raise AnsibleFilterError(f"traefik_dynamic: unknown settings {', '.join(unknown)}")
    s = dict(DEFAULTS)
    s.update(settings)
    s["login_rate_limit"] = {**DEFAULTS["login_rate_limit"], **(s["login_rate_limit"] or {})}
    return s


def _login_limited(s: dict[str, t.Any]) -> bool:
    limit = s["login_rate_limit"]
    return int(limit["average"]) > 0 and len(limit["paths"]) > 0


def _tls_file(s: dict[str, t.Any]) -> dict[str, t.Any]:
    tls: dict[str, t.Any] = {
        "options": {
            "default": {
                "minVersion": to_text(s["tls_min_version"]),
                "cipherSuites": [to_text(c) for c in s["tls_cipher_suites"]],
                "curvePreferences": [to_text(c) for c in s["tls_curve_preferences"]],
                "sniStrict": boolean(s["tls_sni_strict"]),
            },
        },
    }
    if s["certificates"]:
        tls["certificates"] = [{"certFile": to_text(cert), "keyFile": to_text(key)} for cert, key in s["certificates"]]
    return {"tls": tls}


def _middlewares_file(s: dict[str, t.Any]) -> dict[str, t.Any]:
    headers: dict[str, t.Any] = {
        "stsSeconds": int(s["hsts_max_age"]),
        "stsIncludeSubdomains": boolean(s["hsts_include_subdomains"]),
        "stsPreload": boolean(s["hsts_preload"]),
        "contentTypeNosniff": True,
        "customFrameOptionsValue": to_text(s["frame_options"]),
        "referrerPolicy": to_text(s["referrer_policy"]),
    }
    if s["content_security_policy"]:
        headers["contentSecurityPolicy"] = to_text(s["content_security_policy"])
    if s["permissions_policy"]:
        headers["permissionsPolicy"] = to_text(s["permissions_policy"])
    headers["isDevelopment"] = False
    if s["remove_response_headers"]:
        # An empty value removes the header from the response.
        headers["customResponseHeaders"] = {to_text(h): "" for h in s["remove_response_headers"]}

    middlewares: dict[str, t.Any] = {SECURITY_HEADERS: {"headers": headers}}
    if boolean(s["compress"]):
        # Never on the websocket routers; server-sent events are not buffered.
        middlewares[COMPRESS] = {"compress": {"excludedContentTypes": ["text/event-stream"]}}
    if _login_limited(s):
        limit = s["login_rate_limit"]
        rate: dict[str, t.Any] = {
            "average": int(limit["average"]),
            "period": to_text(limit["period"]),
            "burst": int(limit["burst"]),
        }
        if s["trusted_ips"]:
            # Per client address: the first one of X-Forwarded-For that is not a trusted proxy.
            rate["sourceCriterion"] = {"ipStrategy": {"excludedIPs": [to_text(a) for a in s["trusted_ips"]]}}
        middlewares[LOGIN_RATELIMIT] = {"rateLimit": rate}
    middlewares[DENY_ALL] = {"ipAllowList": {"sourceRange": [NOBODY]}}

    transports = {
        TRANSPORT: {
            # Left unset, Go's transport keeps only 2 idle connections per backend.
            "maxIdleConnsPerHost": int(s["backend_max_idle_conns"]),
            "forwardingTimeouts": {
                "dialTimeout": f"{s['backend_dial_timeout']}s",
                # Longer than Odoo's limit_time_real: Odoo's own limit fires first and logs the request.
                "responseHeaderTimeout": f"{s['backend_response_timeout']}s",
            },
        },
    }
    return {"http": {"middlewares": middlewares, "serversTransports": transports}}


def _domains(routes: list[dict[str, t.Any]]) -> list[str]:
    return [d for r in routes for d in r["domains"]]


def _acme_domains(routes: list[dict[str, t.Any]], s: dict[str, t.Any]) -> list[str]:
    if not boolean(s["acme_on"]):
        return []
    return [to_text(d) for d in s["acme_domains"]] or _domains(routes)


def _routers_of(route: dict[str, t.Any], s: dict[str, t.Any]) -> list[str]:
    names = router_names(route["name"])
    out = [names["main"], names["websocket"]]
    if _login_limited(s):
        out.append(names["login"])
    if not route["list_db"]:
        out.append(names["database_manager"])
    return out


def _router(rule: str, priority: int, service: str, middlewares: list[str], tls: dict[str, t.Any]) -> dict[str, t.Any]:
    return {"entryPoints": ["websecure"], "rule": rule, "priority": priority, "service": service,
            "middlewares": middlewares, "tls": copy.deepcopy(tls)}


def _odoo_file(routes: list[dict[str, t.Any]], s: dict[str, t.Any], acme: list[str]) -> dict[str, t.Any]:
    if not routes:
        return {"http": {}}
    common = [SECURITY_HEADERS]
    compress = [COMPRESS] if boolean(s["compress"]) else []
    login_paths = " || ".join(f"Path(`{p}`)" for p in s["login_rate_limit"]["paths"])
    routers: dict[str, t.Any] = {}
    services: dict[str, t.Any] = {}
    for r in routes:
        names = router_names(r["name"])
        own_acme = [d for d in r["domains"] if d in acme]
        tls = {"certResolver": s["cert_resolver"], "domains": [{"main": d} for d in own_acme]} if own_acme else {}
        hosts = "(" + " || ".join(f"Host(`{d}`)" for d in r["domains"]) + ")"
        wanted = _routers_of(r, s)
        made = {
            names["main"]: _router(hosts, 10, names["main"], common + compress, tls),
            names["websocket"]: _router(f"{hosts} && Path(`/websocket`)", 20, names["websocket"], list(common), tls),
            names["login"]: _router(f"{hosts} && Method(`POST`) && ({login_paths})", 30, names["main"],
                                    common + compress + [LOGIN_RATELIMIT], tls),
            # list_db is off: the database manager (/web/database/*) is refused at the proxy too.
            names["database_manager"]: _router(f"{hosts} && PathPrefix(`/web/database`)", 40, "noop@internal",
                                               common + [DENY_ALL], tls),
        }
        routers.update((name, made[name]) for name in wanted)
        for service, url in ((names["main"], r["http_url"]), (names["websocket"], r["websocket_url"])):
            services[service] = {"loadBalancer": {"passHostHeader": True, "serversTransport": TRANSPORT,
                                                  "servers": [{"url": url}]}}
    return {"http": {"routers": routers, "services": services}}


def _dashboard_file(users: list[dict[str, t.Any]], seed: str) -> dict[str, t.Any]:
    entries = []
    for user in users:
        name, password = to_text(user["name"]), to_text(user["password"])
        # Stable per host, name and password: the file does not change from run to run.
        salt = hashlib.sha256(f"{seed}:{name}:{password}".encode("utf-8")).hexdigest()[:22]
        entries.append(f"{name}:{get_encrypted_password(password, 'bcrypt', salt=salt)}")
    return {
        "http": {
            "routers": {
                DASHBOARD_ROUTER: {
                    "entryPoints": ["traefik"],
                    "rule": "PathPrefix(`/api`) || PathPrefix(`/dashboard`)",
                    "service": "api@internal",
                    "middlewares": [DASHBOARD_AUTH],
                },
            },
            "middlewares": {
                DASHBOARD_AUTH: {"basicAuth": {"realm": "traefik", "removeHeader": True, "users": entries}},
            },
        },
    }


def _collisions(extra: t.Any, reserved: dict[str, list[str]]) -> list[str]:
    extra = extra or {}
    out = []
    http = extra.get("http") or {}
    for kind, names in reserved.items():
        out += [f"http.{kind}.{name}" for name in (http.get(kind) or {}) if name in names]
    if "default" in ((extra.get("tls") or {}).get("options") or {}):
        out.append("tls.options.default")
    return out


def _covered(domain: str, sans: list[str]) -> bool:
    wildcard = "DNS:*." + domain.split(".", 1)[1] if "." in domain else None
    return f"DNS:{domain}" in sans or (wildcard is not None and wildcard in sans)


def traefik_dynamic(routes: t.Any, settings: t.Any = None, dashboard_users: t.Any = None,
                    dashboard_salt_seed: t.Any = "", certificate_sans: t.Any = None) -> dict[str, t.Any]:
    if not isinstance(routes, list):
        raise AnsibleFilterError("traefik_dynamic: expects the list of routes of the traefik_routes filter")
    s = _settings(settings)
    acme = _acme_domains(routes, s)
    files: dict[str, t.Any] = {
        "tls": _tls_file(s),
        "middlewares": _middlewares_file(s),
        "odoo": _odoo_file(routes, s, acme),
    }
    if dashboard_users:
        files["dashboard"] = _dashboard_file(list(dashboard_users), to_text(dashboard_salt_seed or ""))

    routers = [DASHBOARD_ROUTER] + [name for r in routes for name in _routers_of(r, s)]
    middlewares = [SECURITY_HEADERS, COMPRESS, LOGIN_RATELIMIT, DENY_ALL, DASHBOARD_AUTH]
    reserved = {
        "routers": routers,
        "services": [router_names(r["name"])[kind] for kind in ("main", "websocket") for r in routes],
        "middlewares": middlewares,
        "serversTransports": [TRANSPORT],
    }
    sans = [to_text(n) for n in certificate_sans or []]
    domains = _domains(routes)
    return {
        "files": files,
        "routers": [f"{name}@file" for name in routers],
        "reserved": reserved,
        "collisions": _collisions(s["extra_dynamic_config"], reserved),
        "domains": domains,
        "acme_domains": acme,
        "file_and_acme": [d for d in acme if _covered(d, sans)],
        "uncovered": [d for d in domains if d not in acme and not _covered(d, sans)],
    }


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"traefik_dynamic": traefik_dynamic, "traefik_routes": traefik_routes}

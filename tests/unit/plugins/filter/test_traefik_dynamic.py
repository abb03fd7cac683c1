"""traefik_routes and traefik_dynamic: the Traefik dynamic configuration of the Odoo routes."""

from __future__ import annotations

import copy

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.odoo_cloud.platform.plugins.filter.traefik_dynamic import (
    FilterModule,
    odoo_backends,
    router_names,
    traefik_dynamic,
    traefik_routes,
)

# The lab inventory (inventories/lab): lab-app1 at 10.77.0.21 with prod (prefork) and staging (threaded).
LAB_HOSTVARS = {
    "lab-app1": {
        "private_address": "10.77.0.21",
        "odoo_instances": [
            {"name": "prod", "domain": "erp.odoo-lab.test"},
            {"name": "staging", "domain": "staging.odoo-lab.test", "http_port": 8169, "gevent_port": 8172,
             "workers": 0, "sizing": {"db_maxconn": 16}},
        ],
    },
}
# The lab's settings as the role's vars/main.yml passes them (certificate files, no ACME).
LAB_SETTINGS = {"certificates": [["/etc/traefik/certs/odoo-lab.test.crt", "/etc/traefik/certs/odoo-lab.test.key"]]}

# What the role's Jinja templates rendered for the lab before this filter existed (dynamic/odoo.yml,
# middlewares.yml and tls.yml of inventories/lab, comments left out): the filter's output must parse
# to the same data.
OLD_LAB_ODOO = """
http:
  routers:
    # lab-app1 / prod: erp.odoo-lab.test
    lab-app1-prod:
      entryPoints: [websecure]
      rule: "(Host(`erp.odoo-lab.test`))"
      priority: 10
      service: "lab-app1-prod"
      middlewares: ["odoo-security-headers", "odoo-compress"]
      tls: {}
    lab-app1-prod-websocket:
      entryPoints: [websecure]
      rule: "(Host(`erp.odoo-lab.test`)) && Path(`/websocket`)"
      priority: 20
      service: "lab-app1-prod-websocket"
      middlewares: ["odoo-security-headers"]
      tls: {}
    lab-app1-prod-login:
      entryPoints: [websecure]
      rule: "(Host(`erp.odoo-lab.test`)) && Method(`POST`) && (Path(`/web/login`) || Path(`/web/session/authenticate`))"
      priority: 30
      service: "lab-app1-prod"
      middlewares: ["odoo-security-headers", "odoo-compress", "odoo-login-ratelimit"]
      tls: {}
    # list_db is off: the database manager (/web/database/*) is refused here too.
    lab-app1-prod-database-manager:
      entryPoints: [websecure]
      rule: "(Host(`erp.odoo-lab.test`)) && PathPrefix(`/web/database`)"
      priority: 40
      service: noop@internal
      middlewares: ["odoo-security-headers", "odoo-deny-all"]
      tls: {}
    # lab-app1 / staging: staging.odoo-lab.test
    lab-app1-staging:
      entryPoints: [websecure]
      rule: "(Host(`staging.odoo-lab.test`))"
      priority: 10
      service: "lab-app1-staging"
      middlewares: ["odoo-security-headers", "odoo-compress"]
      tls: {}
    lab-app1-staging-websocket:
      entryPoints: [websecure]
      rule: "(Host(`staging.odoo-lab.test`)) && Path(`/websocket`)"
      priority: 20
      service: "lab-app1-staging-websocket"
      middlewares: ["odoo-security-headers"]
      tls: {}
    lab-app1-staging-login:
      entryPoints: [websecure]
      rule: "(Host(`staging.odoo-lab.test`)) && Method(`POST`) && (Path(`/web/login`) || Path(`/web/session/authenticate`))"
      priority: 30
      service: "lab-app1-staging"
      middlewares: ["odoo-security-headers", "odoo-compress", "odoo-login-ratelimit"]
      tls: {}
    # list_db is off: the database manager (/web/database/*) is refused here too.
    lab-app1-staging-database-manager:
      entryPoints: [websecure]
      rule: "(Host(`staging.odoo-lab.test`)) && PathPrefix(`/web/database`)"
      priority: 40
      service: noop@internal
      middlewares: ["odoo-security-headers", "odoo-deny-all"]
      tls: {}

  services:
    lab-app1-prod:
      loadBalancer:
        passHostHeader: true
        serversTransport: odoo
        servers:
          - url: "http://10.77.0.21:8069"
    lab-app1-prod-websocket:
      loadBalancer:
        passHostHeader: true
        serversTransport: odoo
        servers:
          - url: "http://10.77.0.21:8072"
    lab-app1-staging:
      loadBalancer:
        passHostHeader: true
        serversTransport: odoo
        servers:
          - url: "http://10.77.0.21:8169"
    lab-app1-staging-websocket:
      loadBalancer:
        passHostHeader: true
        serversTransport: odoo
        servers:
          - url: "http://10.77.0.21:8169"
"""

OLD_LAB_MIDDLEWARES = """
http:
  middlewares:
    odoo-security-headers:
      headers:
        stsSeconds: 31536000
        stsIncludeSubdomains: true
        stsPreload: false
        contentTypeNosniff: true
        customFrameOptionsValue: "SAMEORIGIN"
        referrerPolicy: "strict-origin-when-cross-origin"
        isDevelopment: false
        customResponseHeaders:
          "Server": ""
          "X-Powered-By": ""

    odoo-compress:
      compress:
        excludedContentTypes:
          - text/event-stream

    odoo-login-ratelimit:
      rateLimit:
        average: 10
        period: "1m"
        burst: 10

    odoo-deny-all:
      ipAllowList:
        sourceRange:
          - 255.255.255.255/32

  serversTransports:
    odoo:
      maxIdleConnsPerHost: 200
      forwardingTimeouts:
        dialTimeout: "30s"
        responseHeaderTimeout: "660s"
"""

OLD_LAB_TLS = """
tls:
  options:
    default:
      minVersion: "VersionTLS12"
      cipherSuites:
        - "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
        - "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
        - "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
        - "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        - "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        - "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
      curvePreferences: ["X25519MLKEM768", "X25519", "CurveP256", "CurveP384"]
      sniStrict: true
  certificates:
    - certFile: "/etc/traefik/certs/odoo-lab.test.crt"
      keyFile: "/etc/traefik/certs/odoo-lab.test.key"
"""


def lab_routes():
    return traefik_routes(copy.deepcopy(LAB_HOSTVARS), ["lab-app1"])


def test_lab_is_what_the_templates_rendered():
    files = traefik_dynamic(lab_routes(), LAB_SETTINGS)["files"]
    assert files["odoo"] == yaml.safe_load(OLD_LAB_ODOO)
    assert files["middlewares"] == yaml.safe_load(OLD_LAB_MIDDLEWARES)
    assert files["tls"] == yaml.safe_load(OLD_LAB_TLS)
    # what the role writes: to_nice_yaml of the data parses back to it
    assert yaml.safe_load(yaml.safe_dump(files["odoo"], sort_keys=False)) == files["odoo"]


def test_router_names_in_one_place():
    assert router_names("app1-prod") == {
        "main": "app1-prod",
        "websocket": "app1-prod-websocket",
        "login": "app1-prod-login",
        "database_manager": "app1-prod-database-manager",
    }
    routes = lab_routes()
    assert routes[0]["routers"] == router_names("lab-app1-prod")
    result = traefik_dynamic(routes, LAB_SETTINGS)
    assert result["routers"] == [
        "dashboard@file",
        "lab-app1-prod@file", "lab-app1-prod-websocket@file", "lab-app1-prod-login@file",
        "lab-app1-prod-database-manager@file",
        "lab-app1-staging@file", "lab-app1-staging-websocket@file", "lab-app1-staging-login@file",
        "lab-app1-staging-database-manager@file",
    ]
    # every router the files define is one the role checks through the API, and the other way round
    written = set(result["files"]["odoo"]["http"]["routers"]) | {"dashboard"}
    assert {r.removesuffix("@file") for r in result["routers"]} == written
    assert result["reserved"]["routers"] == [r.removesuffix("@file") for r in result["routers"]]
    assert result["reserved"]["services"] == [
        "lab-app1-prod", "lab-app1-staging", "lab-app1-prod-websocket", "lab-app1-staging-websocket"]


def test_router_names_of_dotted_and_underscored_hosts():
    hv = {"app_1.example.com": {"private_address": "10.0.0.5", "odoo_instances": [{"name": "prod", "domain": "erp.example.com"}]}}
    (route,) = traefik_routes(hv, ["app_1.example.com"])
    assert route["name"] == "app-1-example-com-prod"
    assert "app-1-example-com-prod-websocket" in traefik_dynamic([route], {})["files"]["odoo"]["http"]["routers"]


def test_websocket_goes_to_the_port_odoo_serves():
    services = traefik_dynamic(lab_routes(), LAB_SETTINGS)["files"]["odoo"]["http"]["services"]
    url = {name: s["loadBalancer"]["servers"][0]["url"] for name, s in services.items()}
    assert url == {
        "lab-app1-prod": "http://10.77.0.21:8069",
        "lab-app1-prod-websocket": "http://10.77.0.21:8072",
        "lab-app1-staging": "http://10.77.0.21:8169",
        "lab-app1-staging-websocket": "http://10.77.0.21:8169",
    }


def test_database_manager_blocked_unless_list_db():
    hv = copy.deepcopy(LAB_HOSTVARS)
    hv["lab-app1"]["odoo_instances"][0]["list_db"] = True
    result = traefik_dynamic(traefik_routes(hv, ["lab-app1"]), {})
    routers = result["files"]["odoo"]["http"]["routers"]
    assert "lab-app1-prod-database-manager" not in routers
    blocked = routers["lab-app1-staging-database-manager"]
    assert blocked["service"] == "noop@internal"
    assert blocked["middlewares"] == ["odoo-security-headers", "odoo-deny-all"]
    assert blocked["rule"] == "(Host(`staging.odoo-lab.test`)) && PathPrefix(`/web/database`)"
    assert blocked["priority"] == 40
    assert result["files"]["middlewares"]["http"]["middlewares"]["odoo-deny-all"] == {
        "ipAllowList": {"sourceRange": ["255.255.255.255/32"]}}


def test_login_rate_limit_and_compress_off():
    settings = {"login_rate_limit": {"average": 0}, "compress": False}
    result = traefik_dynamic(lab_routes(), settings)
    routers = result["files"]["odoo"]["http"]["routers"]
    assert not [name for name in routers if name.endswith("-login")]
    assert "lab-app1-prod-login@file" not in result["routers"]
    assert routers["lab-app1-prod"]["middlewares"] == ["odoo-security-headers"]
    middlewares = result["files"]["middlewares"]["http"]["middlewares"]
    assert "odoo-compress" not in middlewares and "odoo-login-ratelimit" not in middlewares
    # the names stay reserved for traefik_extra_dynamic_config all the same
    assert "odoo-login-ratelimit" in result["reserved"]["middlewares"]


def test_login_rate_limit_behind_trusted_proxies():
    settings = {"login_rate_limit": {"paths": ["/web/login"], "period": "30s"}, "trusted_ips": ["10.0.0.0/8"]}
    result = traefik_dynamic(lab_routes(), settings)
    login = result["files"]["odoo"]["http"]["routers"]["lab-app1-prod-login"]
    assert login["rule"] == "(Host(`erp.odoo-lab.test`)) && Method(`POST`) && (Path(`/web/login`))"
    assert login["middlewares"] == ["odoo-security-headers", "odoo-compress", "odoo-login-ratelimit"]
    assert login["service"] == "lab-app1-prod"
    assert result["files"]["middlewares"]["http"]["middlewares"]["odoo-login-ratelimit"] == {
        "rateLimit": {"average": 10, "period": "30s", "burst": 10,
                      "sourceCriterion": {"ipStrategy": {"excludedIPs": ["10.0.0.0/8"]}}}}


def test_headers_options():
    settings = {"content_security_policy": "default-src 'self'", "permissions_policy": "camera=()",
                "remove_response_headers": [], "hsts_preload": "yes", "hsts_max_age": "600"}
    headers = traefik_dynamic([], settings)["files"]["middlewares"]["http"]["middlewares"]["odoo-security-headers"]["headers"]
    assert headers["contentSecurityPolicy"] == "default-src 'self'"
    assert headers["permissionsPolicy"] == "camera=()"
    assert "customResponseHeaders" not in headers
    assert headers["stsPreload"] is True and headers["stsSeconds"] == 600
    assert headers["isDevelopment"] is False and headers["contentTypeNosniff"] is True


def test_acme_one_certificate_per_domain():
    hv = copy.deepcopy(LAB_HOSTVARS)
    hv["lab-app1"]["odoo_instances"][0]["aliases"] = ["www.odoo-lab.test"]
    routes = traefik_routes(hv, ["lab-app1"])
    every = traefik_dynamic(routes, {"acme_on": True})
    assert every["acme_domains"] == ["erp.odoo-lab.test", "www.odoo-lab.test", "staging.odoo-lab.test"]
    prod = every["files"]["odoo"]["http"]["routers"]["lab-app1-prod"]
    assert prod["tls"] == {"certResolver": "acme", "domains": [{"main": "erp.odoo-lab.test"}, {"main": "www.odoo-lab.test"}]}
    assert prod["rule"] == "(Host(`erp.odoo-lab.test`) || Host(`www.odoo-lab.test`))"
    some = traefik_dynamic(routes, {"acme_on": True, "acme_domains": ["www.odoo-lab.test"]})
    routers = some["files"]["odoo"]["http"]["routers"]
    assert routers["lab-app1-prod-websocket"]["tls"] == {"certResolver": "acme", "domains": [{"main": "www.odoo-lab.test"}]}
    assert routers["lab-app1-staging"]["tls"] == {}
    # ACME off: no resolver anywhere, whatever traefik_acme_domains says
    off = traefik_dynamic(routes, {"acme_domains": ["www.odoo-lab.test"]})
    assert off["acme_domains"] == []
    assert all(r["tls"] == {} for r in off["files"]["odoo"]["http"]["routers"].values())


def test_certificate_coverage():
    routes = lab_routes()
    sans = ["DNS:*.odoo-lab.test"]
    result = traefik_dynamic(routes, {"acme_on": True, "acme_domains": ["staging.odoo-lab.test"]}, certificate_sans=sans)
    assert result["file_and_acme"] == ["staging.odoo-lab.test"]
    assert result["uncovered"] == []
    result = traefik_dynamic(routes, {}, certificate_sans=["DNS:erp.odoo-lab.test"])
    assert result["file_and_acme"] == []
    assert result["uncovered"] == ["staging.odoo-lab.test"]


def test_tls_file():
    tls = traefik_dynamic([], {})["files"]["tls"]["tls"]
    assert "certificates" not in tls
    assert tls["options"]["default"]["minVersion"] == "VersionTLS12"
    assert tls["options"]["default"]["sniStrict"] is True
    tls = traefik_dynamic([], {"tls_sni_strict": False, "tls_min_version": "VersionTLS13"})["files"]["tls"]["tls"]
    assert tls["options"]["default"]["sniStrict"] is False
    assert tls["options"]["default"]["minVersion"] == "VersionTLS13"


def test_no_instance_yet():
    result = traefik_dynamic(traefik_routes({"app1": {}}, ["app1"]), {})
    assert result["files"]["odoo"] == {"http": {}}
    assert result["routers"] == ["dashboard@file"]
    assert traefik_routes({}, []) == [] and traefik_routes({}, None) == []


def test_dashboard_hashes_are_stable_bcrypt():
    users = [{"name": "admin", "password": "0123456789abcdef"}]
    try:
        first = traefik_dynamic([], {}, dashboard_users=users, dashboard_salt_seed="edge1")["files"]["dashboard"]
    except Exception as exc:  # neither passlib nor a bcrypt-capable crypt on this controller
        pytest.skip(f"no bcrypt here: {exc}")
    again = traefik_dynamic([], {}, dashboard_users=users, dashboard_salt_seed="edge1")["files"]["dashboard"]
    other = traefik_dynamic([], {}, dashboard_users=users, dashboard_salt_seed="edge2")["files"]["dashboard"]
    (entry,) = first["http"]["middlewares"]["dashboard-auth"]["basicAuth"]["users"]
    assert entry.startswith("admin:$2")
    assert first == again and first != other
    assert first["http"]["routers"]["dashboard"] == {
        "entryPoints": ["traefik"], "rule": "PathPrefix(`/api`) || PathPrefix(`/dashboard`)",
        "service": "api@internal", "middlewares": ["dashboard-auth"]}
    assert "dashboard" not in traefik_dynamic([], {})["files"]


def test_extra_config_collisions():
    extra = {"http": {"routers": {"lab-app1-prod": {}, "mine": {}}, "middlewares": {"odoo-compress": {}},
                      "services": {"lab-app1-staging-websocket": {}}, "serversTransports": None},
             "tls": {"options": {"default": {}}}}
    result = traefik_dynamic(lab_routes(), {"extra_dynamic_config": extra})
    assert result["collisions"] == ["http.routers.lab-app1-prod", "http.services.lab-app1-staging-websocket",
                                    "http.middlewares.odoo-compress", "tls.options.default"]
    assert traefik_dynamic(lab_routes(), {"extra_dynamic_config": {"tcp": {"routers": {}}}})["collisions"] == []


@pytest.mark.parametrize(("hostvars", "address"), [
    ({"odoo_publish_address": "192.0.2.9", "private_address": "10.0.0.1", "ansible_host": "h"}, "192.0.2.9"),
    ({"private_address": "10.0.0.1", "ansible_host": "h.example"}, "10.0.0.1"),
    ({"ansible_host": "h.example"}, "h.example"),
    ({}, "app1"),
    ({"private_address": "fd00::21"}, "fd00::21"),
])
def test_backend_address_fallback(hostvars, address):
    (backend,) = odoo_backends({"app1": hostvars}, ["app1"])
    assert backend == {"host": "app1", "address": address, "instances": []}


def test_ipv6_backend_urls():
    hv = {"app1": {"private_address": "fd00::21", "odoo_instances": [{"name": "prod", "domain": "erp.example.com"}]}}
    (route,) = traefik_routes(hv, ["app1"])
    assert route["http_url"] == "http://[fd00::21]:8069"


def test_routes_keep_odoo_routes_rules():
    hv = {
        "app1": {"private_address": "10.0.0.1", "odoo_instances": [{"name": "prod", "domain": "erp.example.com"}]},
        "app2": {"private_address": "10.0.0.2", "odoo_instances": [{"name": "copy", "domain": "erp.example.com"}]},
    }
    with pytest.raises(AnsibleFilterError, match="served by both app1/prod and app2/copy"):
        traefik_routes(hv, ["app1", "app2"])
    with pytest.raises(AnsibleFilterError, match="not in the inventory"):
        traefik_routes(hv, ["app3"])
    with pytest.raises(AnsibleFilterError, match="list of inventory names"):
        traefik_routes(hv, "app1")


def test_bad_input():
    with pytest.raises(AnsibleFilterError, match="list of routes"):
        traefik_dynamic({}, {})
    with pytest.raises(AnsibleFilterError, match="unknown settings compres"):
        traefik_dynamic([], {"compres": False})


def test_registered():
    assert set(FilterModule().filters()) == {"traefik_dynamic", "traefik_routes"}

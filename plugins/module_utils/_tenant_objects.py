# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The Kubernetes objects of one shared Odoo tenant, from its spec: pure functions, no cluster.

``tenant_objects(spec)`` checks the spec (``TenantError`` names the field) and returns the ordered list of
object dicts the odoo_tenant module applies (or renders to a directory). ``to_yaml(obj)`` is the exact
text sent to the API server with server-side apply and written by the GitOps mode: same input, same bytes.

How the official Odoo image (odoo/docker) is driven here:
- ``ODOO_RC=/etc/odoo/odoo.conf``; the entrypoint takes db_host/db_port/db_user from that file when they
  are there, else from the HOST/PORT/USER environment variables, and the database password from
  ``PASSWORD`` (passed as ``--db_password``): the password comes from the tenant Secret by secretKeyRef.
- ``admin_passwd`` (the master password hash) is only read from the file. The ConfigMap holds odoo.conf
  without it; an init container writes /etc/odoo/odoo.conf (a memory emptyDir, mode 0600) from the
  ConfigMap and the Secret's master password hash, so no secret is ever in a ConfigMap.
- ``USER odoo`` is not numeric: pods set runAsUser/runAsGroup 101 (the image's odoo user) for runAsNonRoot.
- data_dir /var/lib/odoo is the filestore PVC; /tmp an emptyDir; the root filesystem is read-only.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import ipaddress
import re
import typing as t
from urllib.parse import quote

from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_options as catalog
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _tenant_sizes as sizes
from ansible_collections.odoo_cloud.platform.plugins.module_utils._tenant_names import ADDON_RE, DB_IDENTIFIER_RE, DNS1123_LABEL_RE

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - the module reports it with missing_required_lib
    yaml = None
    HAS_YAML = False

MANAGED_BY = "odoo_cloud.platform"
TENANT_LABEL = "odoo-cloud.io/tenant"
ENVIRONMENT_LABEL = "odoo-cloud.io/environment"
COMPONENT_LABEL = "app.kubernetes.io/component"
NAME_LABEL = "app.kubernetes.io/name"
CONFIG_HASH_ANNOTATION = "odoo-cloud.io/config-hash"

ODOO_UID = 101  # the odoo user and group of the official image
HTTP_PORT = 8069
WEBSOCKET_PORT = 8072
DATA_DIR = "/var/lib/odoo"
CONFIG_DIR = "/etc/odoo"
TEMPLATE_DIR = "/run/odoo/template"
SECRET_DIR = "/run/odoo/secret"

APP = "odoo"
SECRET_NAME = "odoo-secrets"
CONFIGMAP_NAME = "odoo-config"
SERVICE_ACCOUNT = "odoo"
PVC_NAME = "odoo-filestore"
SERVICE_NAME = "odoo"
WEB = "odoo-web"
CRON = "odoo-cron"

# Keys of the tenant Secret (also of an existing Secret the caller names).
SECRET_KEYS = {
    "db_password": "db-password",
    "master_password_hash": "master-password-hash",
    "admin_password_hash": "admin-password-hash",
    "redis_password": "redis-password",
}
REDIS_URL_KEY = "redis-url"

# The Traefik middlewares, with the values of the traefik role (plugins/filter/traefik_dynamic.py).
MW_REDIRECT = "odoo-redirect-https"
MW_HEADERS = "odoo-security-headers"
MW_LOGIN = "odoo-login-ratelimit"
MW_DENY = "odoo-deny-all"
NOBODY = "255.255.255.255/32"  # never the source of a TCP connection: ipAllowList answers 403
LOGIN_PATHS = ("/web/login", "/web/session/authenticate")

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
HASH_RE = re.compile(r"^\$pbkdf2-sha512\$[1-9][0-9]*\$[A-Za-z0-9./]+\$[A-Za-z0-9./]+$")
IMAGE_RE = re.compile(r"^[a-z0-9][a-z0-9._/:-]*(@sha256:[a-f0-9]{64})?$")
CRON_RE = re.compile(r"^(@(hourly|daily|weekly|monthly|yearly)|(\S+\s+){4}\S+)$")
ENVIRONMENTS = ("production", "staging", "dev")
ACCESS_MODES = ("ReadWriteOnce", "ReadWriteMany")
SESSION_STORES = ("filestore", "redis")
ATTACHMENT_STORES = ("filestore", "object_store")
SESSION_REDIS_ADDON = "session_redis"

# Options the module sets itself in odoo.conf: given in odoo_options they are refused.
OWN_OPTIONS = frozenset({
    "db_host", "db_port", "db_user", "db_name", "dbfilter", "list_db", "proxy_mode", "http_port",
    "gevent_port", "data_dir", "workers", "max_cron_threads", "db_maxconn", "http_enable",
})

DEFAULTS: dict[str, t.Any] = {
    "namespace": None,
    "environment": "production",
    "image": None,
    "addons": [],
    "addons_path": ["/mnt/extra-addons"],
    "redis": None,
    "replicas": None,
    "filestore": {},
    "sessions": "filestore",
    "attachments": "filestore",
    "autoscaling": {},
    "ingress": {},
    "backup": {},
    "secrets": {},
    "existing_secret": None,
    "odoo_options": {},
    "pod_security_version": "latest",
    "dns": {},
}
FILESTORE_DEFAULTS = {"storage_class": None, "access_mode": "ReadWriteOnce", "size_gb": None}
AUTOSCALING_DEFAULTS = {"enabled": False, "max_replicas": None, "cpu_utilization": 75}
INGRESS_DEFAULTS = {"namespace": "traefik", "pod_labels": {}, "entrypoint": "websecure", "http_entrypoint": "web",
                    "cert_resolver": None, "tls_secret": None}
BACKUP_DEFAULTS = {"schedule": "0 3 * * *"}
DNS_DEFAULTS = {"namespace": "kube-system", "pod_labels": {"k8s-app": "kube-dns"}}
DATABASE_DEFAULTS = {"hosts": None, "port": 5432, "name": None, "user": None, "sslmode": "prefer"}
REDIS_DEFAULTS = {"host": None, "port": 6379, "user": None, "prefix": None, "expiration": 604800}


class TenantError(ValueError):
    """A spec the module refuses; the message names the field and never holds a secret value."""


# --- the spec -------------------------------------------------------------------------------------

def _merge(defaults: dict[str, t.Any], given: t.Any, field: str, errors: list[str]) -> dict[str, t.Any]:
    if given is None:
        given = {}
    if not isinstance(given, dict):
        errors.append(f"{field}: must be a mapping")
        return copy.deepcopy(defaults)
    unknown = sorted(set(given) - set(defaults), key=str)
    if unknown:
        errors.append(f"{field}: unknown key(s) {', '.join(map(str, unknown))}; known: {', '.join(sorted(defaults))}")
    out = copy.deepcopy(defaults)
    out.update({k: copy.deepcopy(v) for k, v in given.items() if k in defaults and v is not None})
    return out


def _ip(value: t.Any, field: str, errors: list[str]) -> str | None:
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        errors.append(f"{field}: {value!r} is not an IP address (network policies allow endpoints by ipBlock)")
        return None


def _int(value: t.Any, field: str, errors: list[str], low: int = 0, high: int | None = None) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        else:
            errors.append(f"{field}: expects an integer, got {value!r}")
            return None
    if value < low or (high is not None and value > high):
        errors.append(f"{field}: {value} is out of range ({low} to {high if high is not None else 'any'})")
        return None
    return value


def normalize(raw: dict[str, t.Any]) -> dict[str, t.Any]:
    """The spec with its defaults, checked whole: every problem in one TenantError."""
    errors: list[str] = []
    known = set(DEFAULTS) | {"name", "size", "odoo_version", "domains", "database"}
    unknown = sorted(set(raw) - known, key=str)
    if unknown:
        errors.append(f"unknown field(s) {', '.join(map(str, unknown))}")
    spec: dict[str, t.Any] = copy.deepcopy(DEFAULTS)
    spec.update({k: copy.deepcopy(v) for k, v in raw.items() if k in known and v is not None})

    name = spec.get("name")
    if not isinstance(name, str) or not DNS1123_LABEL_RE.match(name) or len(name) > 63:
        errors.append(f"name: {name!r} is not a DNS-1123 label (a-z, 0-9, '-', at most 63 characters)")
        name = "invalid"
    if spec["namespace"] is None:
        spec["namespace"] = f"odoo-{name}"
    if not isinstance(spec["namespace"], str) or not DNS1123_LABEL_RE.match(spec["namespace"]) \
            or len(spec["namespace"]) > 63:
        errors.append(f"namespace: {spec['namespace']!r} is not a DNS-1123 label of at most 63 characters")
    if spec["environment"] not in ENVIRONMENTS:
        errors.append(f"environment: {spec['environment']!r} is not one of {', '.join(ENVIRONMENTS)}")
    if spec.get("size") not in sizes.SIZES:
        errors.append(f"size: {spec.get('size')!r} is not one of {', '.join(sizes.size_names())}")
        resources = sizes.tenant_size("xs")
    else:
        resources = sizes.tenant_size(spec["size"])
    spec["resources"] = resources
    version = str(spec.get("odoo_version"))
    if version not in sizes.ODOO_VERSIONS:
        errors.append(f"odoo_version: {spec.get('odoo_version')!r} is not one of {', '.join(sizes.ODOO_VERSIONS)}")
        version = sizes.ODOO_VERSIONS[-1]
    spec["odoo_version"] = version
    image = spec["image"] or sizes.DEFAULT_IMAGE
    if not isinstance(image, str) or not IMAGE_RE.match(image):
        errors.append(f"image: {image!r} is not an image reference")
    elif "@" not in image and ":" not in image.rsplit("/", 1)[-1]:
        image = f"{image}:{version}"
    spec["image"] = image

    domains = spec.get("domains")
    if not isinstance(domains, list) or not domains:
        errors.append("domains: give at least one domain")
        domains = []
    for domain in domains:
        if not isinstance(domain, str) or not DOMAIN_RE.match(domain):
            errors.append(f"domains: {domain!r} is not a lower-case host name")
    if len(set(map(str, domains))) != len(domains):
        errors.append("domains: a domain is listed twice")
    addons = spec["addons"]
    if not isinstance(addons, list) or any(not isinstance(a, str) or not ADDON_RE.match(a) for a in addons):
        errors.append("addons: expects a list of Odoo module names (a-z, 0-9, _)")
        spec["addons"] = addons = []

    db = _merge(DATABASE_DEFAULTS, spec.get("database"), "database", errors)
    hosts = db["hosts"]
    if isinstance(hosts, str):
        hosts = [hosts]
    if not isinstance(hosts, list) or not hosts:
        errors.append("database.hosts: give the database server's addresses (a list of IP addresses)")
        hosts = []
    db["hosts"] = [h for h in (_ip(h, "database.hosts", errors) for h in hosts) if h]
    db["port"] = _int(db["port"], "database.port", errors, 1, 65535) or 5432
    if db["name"] is None:
        db["name"] = name.replace("-", "_")
    if not isinstance(db["name"], str) or not DB_IDENTIFIER_RE.match(db["name"]):
        errors.append(f"database.name: {db['name']!r} is not a database name (a-z, 0-9, _)")
    if db["user"] is None:
        db["user"] = "odoo_" + name.replace("-", "_")
    if not isinstance(db["user"], str) or not DB_IDENTIFIER_RE.match(db["user"]):
        errors.append(f"database.user: {db['user']!r} is not a role name (a-z, 0-9, _)")
    if db["sslmode"] not in catalog.CHOICES["db_sslmode"]:
        errors.append(f"database.sslmode: {db['sslmode']!r} is not one of {', '.join(catalog.CHOICES['db_sslmode'])}")
    spec["database"] = db

    if spec["redis"] is not None:
        redis = _merge(REDIS_DEFAULTS, spec["redis"], "redis", errors)
        redis["host"] = _ip(redis["host"], "redis.host", errors) if redis["host"] is not None else None
        if redis["host"] is None:
            errors.append("redis.host: give the Redis server's IP address")
        redis["port"] = _int(redis["port"], "redis.port", errors, 1, 65535) or 6379
        redis["expiration"] = _int(redis["expiration"], "redis.expiration", errors, 1)
        if redis["prefix"] is None:
            redis["prefix"] = name
        spec["redis"] = redis

    fs = _merge(FILESTORE_DEFAULTS, spec["filestore"], "filestore", errors)
    if fs["access_mode"] not in ACCESS_MODES:
        errors.append(f"filestore.access_mode: {fs['access_mode']!r} is not one of {', '.join(ACCESS_MODES)}")
    if fs["size_gb"] is None:
        fs["size_gb"] = resources["filestore_gb"]
    fs["size_gb"] = _int(fs["size_gb"], "filestore.size_gb", errors, 1)
    spec["filestore"] = fs
    auto = _merge(AUTOSCALING_DEFAULTS, spec["autoscaling"], "autoscaling", errors)
    spec["autoscaling"] = auto
    spec["ingress"] = _merge(INGRESS_DEFAULTS, spec["ingress"], "ingress", errors)
    if not DNS1123_LABEL_RE.match(str(spec["ingress"]["namespace"])):
        errors.append(f"ingress.namespace: {spec['ingress']['namespace']!r} is not a namespace name")
    spec["dns"] = _merge(DNS_DEFAULTS, spec["dns"], "dns", errors)
    spec["backup"] = _merge(BACKUP_DEFAULTS, spec["backup"], "backup", errors)
    if not isinstance(spec["backup"]["schedule"], str) or not CRON_RE.match(spec["backup"]["schedule"]):
        errors.append(f"backup.schedule: {spec['backup']['schedule']!r} is not a cron schedule")

    if spec["sessions"] not in SESSION_STORES:
        errors.append(f"sessions: {spec['sessions']!r} is not one of {', '.join(SESSION_STORES)}")
    if spec["attachments"] not in ATTACHMENT_STORES:
        errors.append(f"attachments: {spec['attachments']!r} is not one of {', '.join(ATTACHMENT_STORES)}")
    if spec["sessions"] == "redis":
        if spec["redis"] is None:
            errors.append("sessions: 'redis' needs the redis endpoint (redis.host)")
        if SESSION_REDIS_ADDON not in addons:
            errors.append(f"sessions: 'redis' needs the {SESSION_REDIS_ADDON} add-on in addons (the image must have it)")

    spec["replicas_from_size"] = spec["replicas"] is None
    replicas = resources["web_replicas"] if spec["replicas"] is None else spec["replicas"]
    spec["replicas"] = _int(replicas, "replicas", errors, 1) or 1
    if auto["enabled"]:
        auto["max_replicas"] = _int(auto["max_replicas"], "autoscaling.max_replicas", errors, spec["replicas"])
        auto["cpu_utilization"] = _int(auto["cpu_utilization"], "autoscaling.cpu_utilization", errors, 1, 100)
    _shared_state(spec, errors)
    _secrets(spec, errors)

    options = spec["odoo_options"]
    if not isinstance(options, dict):
        errors.append("odoo_options: must be a mapping")
        spec["odoo_options"] = {}
    else:
        for key in sorted(options, key=str):
            if key in OWN_OPTIONS:
                errors.append(f"odoo_options.{key}: set by the module from the tenant spec; remove it")
            elif key in catalog.SECRET_OPTIONS:
                errors.append(f"odoo_options.{key}: a credential cannot go into the ConfigMap")
    if errors:
        raise TenantError("tenant " + repr(name) + ": " + " | ".join(errors))
    return spec


def several_web_pods(spec: dict[str, t.Any]) -> bool:
    return spec["replicas"] > 1 or bool(spec["autoscaling"]["enabled"])


def _shared_state(spec: dict[str, t.Any], errors: list[str]) -> None:
    """More than one web pod (replicas or an HPA) needs sessions and attachments every pod sees."""
    if not several_web_pods(spec):
        return
    if spec["replicas"] > 1:
        why = f"replicas: {spec['replicas']}"
        if spec["replicas_from_size"]:
            why += f" (the web_replicas of size {spec['size']}; set replicas: 1 for one web pod)"
    else:
        why = "autoscaling.enabled: true"
    rwx = spec["filestore"]["access_mode"] == "ReadWriteMany"
    if not rwx and spec["sessions"] != "redis":
        errors.append(
            f"{why} needs sessions shared by the web pods: set filestore.access_mode: ReadWriteMany (with "
            "filestore.storage_class an RWX class) or sessions: redis (with redis and the session_redis add-on)"
        )
    if not rwx and spec["attachments"] != "object_store":
        errors.append(
            f"{why} needs a filestore shared by the web pods: set filestore.access_mode: ReadWriteMany (with "
            "filestore.storage_class an RWX class) or attachments: object_store (an add-on storing attachments "
            "outside the filestore)"
        )
    if rwx and not spec["filestore"]["storage_class"]:
        errors.append("filestore.access_mode: ReadWriteMany needs filestore.storage_class (a class that provides RWX)")


def _secrets(spec: dict[str, t.Any], errors: list[str]) -> None:
    given = spec["secrets"] or {}
    if not isinstance(given, dict):
        errors.append("secrets: must be a mapping")
        given = {}
    unknown = sorted(set(given) - set(SECRET_KEYS), key=str)
    if unknown:
        errors.append(f"secrets: unknown key(s) {', '.join(map(str, unknown))}; known: {', '.join(sorted(SECRET_KEYS))}")
    if spec["existing_secret"] is not None:
        if given:
            errors.append("secrets and existing_secret: give one secret source, not both")
        if not isinstance(spec["existing_secret"], str) or not DNS1123_LABEL_RE.match(spec["existing_secret"]):
            errors.append(f"existing_secret: {spec['existing_secret']!r} is not a Secret name")
        spec["secrets"] = {}
        return
    missing = [k for k in ("db_password", "master_password_hash") if not given.get(k)]
    if spec["redis"] is not None and spec["redis"].get("user") is not None and not given.get("redis_password"):
        missing.append("redis_password")
    if missing:
        names = {"master_password_hash": "master_password (or master_password_hash)"}
        errors.append(
            f"secrets: missing {', '.join('secrets.' + names.get(m, m) for m in missing)} (the secret source: give the values, "
            "for example from the vault, or existing_secret)"
        )
    for key in ("master_password_hash", "admin_password_hash"):
        value = given.get(key)
        if value and (not isinstance(value, str) or not HASH_RE.match(value)):
            errors.append(
                f"secrets.{key}: not a $pbkdf2-sha512$ hash (value hidden); make one with the "
                "odoo_cloud.platform.odoo_password_hash filter"
            )
    for key, value in given.items():
        if value is not None and not isinstance(value, str):
            errors.append(f"secrets.{key}: expects a string (value hidden)")
        elif isinstance(value, str) and ("\n" in value or "\r" in value):
            errors.append(f"secrets.{key}: cannot hold a line break (value hidden)")
    spec["secrets"] = {k: v for k, v in given.items() if v not in (None, "")}


# --- helpers ----------------------------------------------------------------------------------------

def common_labels(spec: dict[str, t.Any]) -> dict[str, str]:
    """On every object of the tenant: what removal and listings select on."""
    return {
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/part-of": APP,
        TENANT_LABEL: spec["name"],
        ENVIRONMENT_LABEL: spec["environment"],
    }


def selector(spec: dict[str, t.Any]) -> str:
    """The label selector of exactly this tenant's objects."""
    return f"app.kubernetes.io/managed-by={MANAGED_BY},{TENANT_LABEL}={spec['name']}"


def _meta(spec: dict[str, t.Any], name: str, namespaced: bool = True,
          extra: dict[str, str] | None = None) -> dict[str, t.Any]:
    labels = common_labels(spec)
    labels.update(extra or {})
    meta: dict[str, t.Any] = {"name": name}
    if namespaced:
        meta["namespace"] = spec["namespace"]
    meta["labels"] = labels
    return meta


def _component(spec: dict[str, t.Any], component: str) -> dict[str, str]:
    return {NAME_LABEL: APP, COMPONENT_LABEL: component, TENANT_LABEL: spec["name"]}


def _cidr(address: str) -> str:
    return f"{address}/{32 if ipaddress.ip_address(address).version == 4 else 128}"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _mi(mb: int) -> str:
    return f"{int(mb)}Mi"


def _m(millicores: int) -> str:
    return f"{int(millicores)}m"


def pod_resources(spec: dict[str, t.Any]) -> dict[str, t.Any]:
    r = spec["resources"]
    return {
        "requests": {"cpu": _m(r["cpu_request_m"]), "memory": _mi(r["memory_request_mb"])},
        "limits": {"cpu": _m(r["cpu_limit_m"]), "memory": _mi(r["memory_limit_mb"])},
    }


SMALL_RESOURCES = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}}


def container_security() -> dict[str, t.Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsGroup": ODOO_UID,
        "runAsNonRoot": True,
        "runAsUser": ODOO_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_security() -> dict[str, t.Any]:
    return {
        "fsGroup": ODOO_UID,
        "fsGroupChangePolicy": "OnRootMismatch",
        "runAsGroup": ODOO_UID,
        "runAsNonRoot": True,
        "runAsUser": ODOO_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


# --- odoo.conf --------------------------------------------------------------------------------------

def memory_limits_mb(spec: dict[str, t.Any]) -> tuple[int, int]:
    """limit_memory_soft/hard per Odoo process (MiB): the pod's memory limit over the workers, the gevent
    process and the master, never under Odoo's own floors of 512/640 MiB (they bound virtual memory)."""
    r = spec["resources"]
    soft = max(512, r["memory_limit_mb"] // (r["workers"] + 1))
    return soft, max(640, soft * 5 // 4)


def odoo_options(spec: dict[str, t.Any]) -> dict[str, t.Any]:
    """The [options] of the tenant's odoo.conf, without credentials (they are not in the ConfigMap)."""
    r = spec["resources"]
    db = spec["database"]
    soft, hard = memory_limits_mb(spec)
    server_wide = ["base", "web"]
    if spec["sessions"] == "redis":
        server_wide.append(SESSION_REDIS_ADDON)
    options: dict[str, t.Any] = {
        "addons_path": spec["addons_path"],
        "data_dir": DATA_DIR,
        "db_host": ",".join(db["hosts"]),
        "db_maxconn": r["db_maxconn"],
        "db_name": db["name"],
        "db_port": db["port"],
        "db_sslmode": db["sslmode"],
        "db_user": db["user"],
        "dbfilter": f"^{re.escape(db['name'])}$",
        "gevent_port": WEBSOCKET_PORT,
        "http_port": HTTP_PORT,
        "limit_memory_hard": hard * 1024 * 1024,
        "limit_memory_soft": soft * 1024 * 1024,
        "limit_time_real": 600,
        "limit_time_real_cron": 1200,
        "list_db": False,
        "max_cron_threads": 0,  # the web pods run none: the cron deployment runs them (--max-cron-threads)
        "proxy_mode": True,
        "server_wide_modules": server_wide,
        "without_demo": "all" if spec["odoo_version"] != "19.0" else None,
        "workers": r["workers"],
    }
    options.update(spec["odoo_options"])
    return options


def render_odoo_conf(spec: dict[str, t.Any]) -> str:
    """odoo.conf as odoo_config writes its [options] section: checked and rendered by _odoo_options,
    options sorted by name, no credential (admin_passwd is appended in the pod, see the module doc)."""
    version = spec["odoo_version"]
    errors: list[str] = []
    values: dict[str, str] = {}
    for name, value in odoo_options(spec).items():
        problem = catalog.check_name(version, name)
        if problem:
            errors.append(f"odoo_options.{name}: {problem}")
            continue
        try:
            text = catalog.render_value(version, name, value)
        except catalog.OptionError as exc:
            errors.append(f"odoo_options.{name}: {exc}")
            continue
        if text is not None:
            values[name] = text
    if errors:
        raise TenantError(f"tenant {spec['name']!r}: " + " | ".join(errors))
    return (
        f"; Odoo {version} server configuration of tenant {spec['name']}, written by odoo_cloud.platform.odoo_tenant.\n"
        "; admin_passwd is added in the pod from the tenant Secret.\n"
        "[options]\n" + "".join(f"{key} = {values[key]}\n" for key in sorted(values))
    )


# --- the objects ------------------------------------------------------------------------------------

def namespace(spec: dict[str, t.Any]) -> dict[str, t.Any]:
    version = spec["pod_security_version"]
    extra = {}
    for mode in ("enforce", "audit", "warn"):
        extra[f"pod-security.kubernetes.io/{mode}"] = "restricted"
        extra[f"pod-security.kubernetes.io/{mode}-version"] = version
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(spec, spec["namespace"], False, extra)}


def resource_quota(spec: dict[str, t.Any]) -> dict[str, t.Any]:
    q = spec["resources"]["quota"]
    return {
        "apiVersion": "v1", "kind": "ResourceQuota", "metadata": _meta(spec, "odoo-quota"),
        "spec": {"hard": {
            "limits.cpu": _m(q["limits_cpu_m"]),
            "limits.memory": _mi(q["limits_memory_mb"]),
            "persistentvolumeclaims": str(q["persistentvolumeclaims"]),
            "pods": str(q["pods"]),
            "requests.cpu": _m(q["requests_cpu_m"]),
            "requests.memory": _mi(q["requests_memory_mb"]),
            "requests.storage": f"{spec['filestore']['size_gb']}Gi",
            "services": str(q["services"]),
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        }},
    }


def limit_range(spec: dict[str, t.Any]) -> dict[str, t.Any]:
    res = pod_resources(spec)
    return {
        "apiVersion": "v1", "kind": "LimitRange", "metadata": _meta(spec, "odoo-limits"),
        "spec": {"limits": [{
            "type": "Container",
            "default": dict(res["limits"]),
            "defaultRequest": dict(res["requests"]),
            "max": dict(res["limits"]),
        }]},
    }


def network_policies(spec: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    def policy(name: str, pod_selector: dict[str, t.Any], types: list[str], **rules: t.Any) -> dict[str, t.Any]:
        body: dict[str, t.Any] = {"podSelector": pod_selector, "policyTypes": types}
        body.update(rules)
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": _meta(spec, name),
                "spec": body}

    ingress_peer: dict[str, t.Any] = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": spec["ingress"]["namespace"]}},
    }
    if spec["ingress"]["pod_labels"]:
        ingress_peer["podSelector"] = {"matchLabels": dict(sorted(spec["ingress"]["pod_labels"].items()))}
    dns_peer: dict[str, t.Any] = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": spec["dns"]["namespace"]}},
    }
    if spec["dns"]["pod_labels"]:
        dns_peer["podSelector"] = {"matchLabels": dict(sorted(spec["dns"]["pod_labels"].items()))}
    db = spec["database"]
    out = [
        policy("default-deny", {}, ["Ingress", "Egress"]),
        policy("allow-ingress-controller", {"matchLabels": _component(spec, "web")}, ["Ingress"], ingress=[{
            "from": [ingress_peer],
            "ports": [{"port": HTTP_PORT, "protocol": "TCP"}, {"port": WEBSOCKET_PORT, "protocol": "TCP"}],
        }]),
        policy("allow-dns", {}, ["Egress"], egress=[{
            "to": [dns_peer],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
        }]),
        policy("allow-database", {}, ["Egress"], egress=[{
            "to": [{"ipBlock": {"cidr": _cidr(h)}} for h in db["hosts"]],
            "ports": [{"port": db["port"], "protocol": "TCP"}],
        }]),
    ]
    if spec["redis"] is not None:
        out.append(policy("allow-redis", {}, ["Egress"], egress=[{
            "to": [{"ipBlock": {"cidr": _cidr(spec["redis"]["host"])}}],
            "ports": [{"port": spec["redis"]["port"], "protocol": "TCP"}],
        }]))
    return out


def service_account(spec: dict[str, t.Any]) -> dict[str, t.Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(spec, SERVICE_ACCOUNT),
            "automountServiceAccountToken": False}


def secret(spec: dict[str, t.Any]) -> dict[str, t.Any] | None:
    """The tenant Secret from the caller's values; None when the caller names an existing Secret."""
    if spec["existing_secret"]:
        return None
    values = {SECRET_KEYS[k]: v for k, v in spec["secrets"].items()}
    redis = spec["redis"]
    if redis is not None and spec["sessions"] == "redis":
        auth = ""
        if redis["user"] is not None:
            auth = f"{quote(redis['user'], safe='')}:{quote(spec['secrets'].get('redis_password', ''), safe='')}@"
        elif spec["secrets"].get("redis_password"):
            auth = f":{quote(spec['secrets']['redis_password'], safe='')}@"
        host = redis["host"] if ":" not in redis["host"] else f"[{redis['host']}]"
        values[REDIS_URL_KEY] = f"redis://{auth}{host}:{redis['port']}/0"
    return {"apiVersion": "v1", "kind": "Secret", "metadata": _meta(spec, SECRET_NAME), "type": "Opaque",
            "data": {k: _b64(values[k]) for k in sorted(values)}}


def config_map(spec: dict[str, t.Any]) -> dict[str, t.Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(spec, CONFIGMAP_NAME),
            "data": {"odoo.conf": render_odoo_conf(spec)}}


def filestore_pvc(spec: dict[str, t.Any]) -> dict[str, t.Any]:
    fs = spec["filestore"]
    body: dict[str, t.Any] = {
        "accessModes": [fs["access_mode"]],
        "resources": {"requests": {"storage": f"{fs['size_gb']}Gi"}},
    }
    if fs["storage_class"]:
        body["storageClassName"] = fs["storage_class"]
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": _meta(spec, PVC_NAME), "spec": body}


def _secret_name(spec: dict[str, t.Any]) -> str:
    return spec["existing_secret"] or SECRET_NAME


def _env(spec: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    secret_name = _secret_name(spec)

    def from_secret(var: str, key: str, optional: bool = False) -> dict[str, t.Any]:
        ref: dict[str, t.Any] = {"name": secret_name, "key": key}
        if optional:
            ref["optional"] = True
        return {"name": var, "valueFrom": {"secretKeyRef": ref}}

    # The image's entrypoint passes PASSWORD as --db_password when odoo.conf has none.
    env = [from_secret("PASSWORD", SECRET_KEYS["db_password"])]
    redis = spec["redis"]
    if redis is not None and spec["sessions"] == "redis":
        env += [
            {"name": "ODOO_SESSION_REDIS", "value": "1"},
            {"name": "ODOO_SESSION_REDIS_HOST", "value": redis["host"]},
            {"name": "ODOO_SESSION_REDIS_PORT", "value": str(redis["port"])},
            from_secret("ODOO_SESSION_REDIS_PASSWORD", SECRET_KEYS["redis_password"], optional=True),
            from_secret("ODOO_SESSION_REDIS_URL", REDIS_URL_KEY),
            {"name": "ODOO_SESSION_REDIS_PREFIX", "value": redis["prefix"]},
            {"name": "ODOO_SESSION_REDIS_EXPIRATION", "value": str(redis["expiration"])},
        ]
    return env


INIT_SCRIPT = (
    "set -eu; umask 077; "
    f"{{ cat {TEMPLATE_DIR}/odoo.conf; "
    f"printf 'admin_passwd = %s\\n' \"$(cat {SECRET_DIR}/{SECRET_KEYS['master_password_hash']})\"; }} "
    f"> {CONFIG_DIR}/odoo.conf"
)


def _pod(spec: dict[str, t.Any], component: str, args: list[str], web: bool, config_hash: str) -> dict[str, t.Any]:
    # Several web pods with a ReadWriteOnce claim (sessions in Redis, attachments in an object store): the web
    # pods keep data_dir in an emptyDir each, the cron pod has the claim.
    own_data = web and several_web_pods(spec) and spec["filestore"]["access_mode"] == "ReadWriteOnce"
    volumes_mounts = [
        {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "filestore", "mountPath": DATA_DIR},
    ]
    container: dict[str, t.Any] = {"name": "odoo", "image": spec["image"], "imagePullPolicy": "IfNotPresent"}
    if args:
        container["args"] = list(args)
    container["env"] = _env(spec)
    if web:
        container["ports"] = [
            {"name": "http", "containerPort": HTTP_PORT, "protocol": "TCP"},
            {"name": "websocket", "containerPort": WEBSOCKET_PORT, "protocol": "TCP"},
        ]
        # Ready when Odoo answers; started within 10 minutes (first module loading); alive as long as the
        # master accepts connections, so a worker busy for minutes on a report is never killed.
        container["startupProbe"] = {"httpGet": {"path": "/web/health", "port": "http"}, "periodSeconds": 10,
                                     "timeoutSeconds": 5, "failureThreshold": 60}
        container["readinessProbe"] = {"httpGet": {"path": "/web/health", "port": "http"}, "periodSeconds": 10,
                                       "timeoutSeconds": 5, "failureThreshold": 3}
        container["livenessProbe"] = {"tcpSocket": {"port": "http"}, "periodSeconds": 30, "timeoutSeconds": 10,
                                      "failureThreshold": 10}
    container["resources"] = pod_resources(spec)
    container["securityContext"] = container_security()
    container["volumeMounts"] = volumes_mounts
    init = {
        "name": "odoo-conf",
        "image": spec["image"],
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/sh", "-c", INIT_SCRIPT],
        "resources": copy.deepcopy(SMALL_RESOURCES),
        "securityContext": container_security(),
        "volumeMounts": [
            {"name": "config", "mountPath": CONFIG_DIR},
            {"name": "config-template", "mountPath": TEMPLATE_DIR, "readOnly": True},
            {"name": "master-password", "mountPath": SECRET_DIR, "readOnly": True},
        ],
    }
    pod: dict[str, t.Any] = {
        "metadata": {"labels": {**common_labels(spec), **_component(spec, component)},
                     "annotations": {CONFIG_HASH_ANNOTATION: config_hash}},
        "spec": {
            "automountServiceAccountToken": False,
            "containers": [container],
            "enableServiceLinks": False,
            "initContainers": [init],
            "securityContext": pod_security(),
            "serviceAccountName": SERVICE_ACCOUNT,
            "terminationGracePeriodSeconds": 60,
            "volumes": [
                {"name": "config", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                {"name": "config-template", "configMap": {"name": CONFIGMAP_NAME}},
                {"name": "master-password", "secret": {
                    "secretName": _secret_name(spec), "defaultMode": 0o440,
                    "items": [{"key": SECRET_KEYS["master_password_hash"], "path": SECRET_KEYS["master_password_hash"]}],
                }},
                {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
                {"name": "filestore", "emptyDir": {"sizeLimit": f"{spec['filestore']['size_gb']}Gi"}} if own_data
                else {"name": "filestore", "persistentVolumeClaim": {"claimName": PVC_NAME}},
            ],
        },
    }
    if not web and spec["filestore"]["access_mode"] == "ReadWriteOnce" and not several_web_pods(spec):
        # A ReadWriteOnce volume is mounted by the pods of one node: the cron pod goes where the web pod is.
        pod["spec"]["affinity"] = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{
            "labelSelector": {"matchLabels": _component(spec, "web")},
            "topologyKey": "kubernetes.io/hostname",
        }]}}
    return pod


def _config_hash(conf: dict[str, t.Any]) -> str:
    return hashlib.sha256(conf["data"]["odoo.conf"].encode("utf-8")).hexdigest()[:16]


def web_deployment(spec: dict[str, t.Any], config_hash: str) -> dict[str, t.Any]:
    body: dict[str, t.Any] = {}
    if not spec["autoscaling"]["enabled"]:
        body["replicas"] = spec["replicas"]  # with an HPA, the HPA owns the count
    body["revisionHistoryLimit"] = 3
    body["selector"] = {"matchLabels": _component(spec, "web")}
    if several_web_pods(spec):
        # No surge: the quota holds the pods at their limits, not one more.
        body["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    else:
        body["strategy"] = {"type": "Recreate"}
    body["template"] = _pod(spec, "web", [], True, config_hash)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(spec, WEB, extra={COMPONENT_LABEL: "web"}),
            "spec": body}


def cron_deployment(spec: dict[str, t.Any], config_hash: str) -> dict[str, t.Any]:
    threads = spec["resources"]["max_cron_threads"]
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": _meta(spec, CRON, extra={COMPONENT_LABEL: "cron"}),
            "spec": {
                "replicas": 1,
                "revisionHistoryLimit": 3,
                "selector": {"matchLabels": _component(spec, "cron")},
                "strategy": {"type": "Recreate"},
                "template": _pod(spec, "cron", ["--no-http", f"--max-cron-threads={threads}"], False, config_hash),
            }}


def service(spec: dict[str, t.Any]) -> dict[str, t.Any]:
    return {
        "apiVersion": "v1", "kind": "Service", "metadata": _meta(spec, SERVICE_NAME),
        "spec": {
            "type": "ClusterIP",
            "selector": _component(spec, "web"),
            "ports": [
                {"name": "http", "port": HTTP_PORT, "protocol": "TCP", "targetPort": "http"},
                {"name": "websocket", "port": WEBSOCKET_PORT, "protocol": "TCP", "targetPort": "websocket"},
            ],
        },
    }


def middlewares(spec: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    def mw(name: str, body: dict[str, t.Any]) -> dict[str, t.Any]:
        return {"apiVersion": "traefik.io/v1alpha1", "kind": "Middleware", "metadata": _meta(spec, name), "spec": body}

    return [
        mw(MW_REDIRECT, {"redirectScheme": {"scheme": "https", "permanent": True}}),
        mw(MW_HEADERS, {"headers": {
            "stsSeconds": 31536000, "stsIncludeSubdomains": True, "stsPreload": False,
            "contentTypeNosniff": True, "customFrameOptionsValue": "SAMEORIGIN",
            "referrerPolicy": "strict-origin-when-cross-origin",
            "customResponseHeaders": {"Server": "", "X-Powered-By": ""},
        }}),
        mw(MW_LOGIN, {"rateLimit": {"average": 10, "period": "1m", "burst": 10}}),
        mw(MW_DENY, {"ipAllowList": {"sourceRange": [NOBODY]}}),
    ]


def _ref(name: str) -> dict[str, str]:
    return {"name": name}


def ingress_routes(spec: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    ing = spec["ingress"]
    hosts = "(" + " || ".join(f"Host(`{d}`)" for d in spec["domains"]) + ")"
    login = " || ".join(f"Path(`{p}`)" for p in LOGIN_PATHS)
    http = [{"name": SERVICE_NAME, "port": "http"}]
    noop = [{"name": "noop@internal", "kind": "TraefikService"}]

    def route(rule: str, priority: int, services: list[dict[str, t.Any]], mws: list[str]) -> dict[str, t.Any]:
        return {"kind": "Rule", "match": rule, "priority": priority, "middlewares": [_ref(m) for m in mws],
                "services": copy.deepcopy(services)}

    tls: dict[str, t.Any] = {}
    if ing["tls_secret"]:
        tls["secretName"] = ing["tls_secret"]
    if ing["cert_resolver"]:
        tls["certResolver"] = ing["cert_resolver"]
        tls["domains"] = [{"main": spec["domains"][0], "sans": spec["domains"][1:]}] if len(spec["domains"]) > 1 \
            else [{"main": spec["domains"][0]}]
    secure = {
        "apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute", "metadata": _meta(spec, "odoo"),
        "spec": {
            "entryPoints": [ing["entrypoint"]],
            "routes": [
                # The database manager is refused at the proxy too (list_db is off in odoo.conf).
                route(f"{hosts} && PathPrefix(`/web/database`)", 40, noop, [MW_HEADERS, MW_DENY]),
                route(f"{hosts} && Method(`POST`) && ({login})", 30, http, [MW_HEADERS, MW_LOGIN]),
                route(f"{hosts} && Path(`/websocket`)", 20, [{"name": SERVICE_NAME, "port": "websocket"}], [MW_HEADERS]),
                route(hosts, 10, http, [MW_HEADERS]),
            ],
            "tls": tls,
        },
    }
    redirect = {
        "apiVersion": "traefik.io/v1alpha1", "kind": "IngressRoute", "metadata": _meta(spec, "odoo-http"),
        "spec": {
            "entryPoints": [ing["http_entrypoint"]],
            "routes": [route(hosts, 10, noop, [MW_REDIRECT])],
        },
    }
    return [redirect, secure]


def pod_disruption_budget(spec: dict[str, t.Any]) -> dict[str, t.Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta(spec, WEB),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _component(spec, "web")}}}


def autoscaler(spec: dict[str, t.Any]) -> dict[str, t.Any] | None:
    auto = spec["autoscaling"]
    if not auto["enabled"]:
        return None
    return {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": _meta(spec, WEB),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": WEB},
            "minReplicas": spec["replicas"],
            "maxReplicas": auto["max_replicas"],
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": auto["cpu_utilization"]}}}],
        },
    }


def backup_cronjob(spec: dict[str, t.Any]) -> dict[str, t.Any]:
    """A placeholder the backup issue fills: suspended, restricted, Forbid, bounded."""
    container = {
        "name": "backup",
        "image": spec["image"],
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/sh", "-c", "echo 'tenant backups are not implemented yet'; exit 1"],
        "resources": copy.deepcopy(SMALL_RESOURCES),
        "securityContext": container_security(),
    }
    return {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": _meta(spec, "odoo-backup"),
        "spec": {
            "schedule": spec["backup"]["schedule"],
            "suspend": True,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {"spec": {
                "activeDeadlineSeconds": 3600,
                "backoffLimit": 0,
                "template": {
                    "metadata": {"labels": {**common_labels(spec), **_component(spec, "backup")}},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "containers": [container],
                        "enableServiceLinks": False,
                        "restartPolicy": "Never",
                        "securityContext": pod_security(),
                        "serviceAccountName": SERVICE_ACCOUNT,
                    },
                },
            }},
        },
    }


def tenant_objects(raw: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """Every object of the tenant, in the order they are applied (the namespace first)."""
    spec = normalize(raw)
    conf = config_map(spec)
    config_hash = _config_hash(conf)
    objects: list[dict[str, t.Any] | None] = [
        namespace(spec),
        resource_quota(spec),
        limit_range(spec),
        *network_policies(spec),
        service_account(spec),
        secret(spec),
        conf,
        filestore_pvc(spec),
        service(spec),
        web_deployment(spec, config_hash),
        cron_deployment(spec, config_hash),
        pod_disruption_budget(spec),
        autoscaler(spec),
        *middlewares(spec),
        *ingress_routes(spec),
        backup_cronjob(spec),
    ]
    return [obj for obj in objects if obj is not None]


def object_id(obj: dict[str, t.Any]) -> str:
    """Kind/name, or Kind/namespace/name: how results name an object."""
    meta = obj["metadata"]
    if meta.get("namespace"):
        return f"{obj['kind']}/{meta['namespace']}/{meta['name']}"
    return f"{obj['kind']}/{meta['name']}"


def file_name(index: int, obj: dict[str, t.Any]) -> str:
    return f"{index:02d}-{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def from_yaml(data: bytes) -> t.Any:
    """One YAML document (a rendered file); ValueError when it is not one."""
    if not HAS_YAML:
        raise ValueError("PyYAML is missing")
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from None


def secret_data(obj: t.Any) -> dict[str, str]:
    """A Secret's values, decoded; empty for anything that is not a Secret with readable data."""
    if not isinstance(obj, dict) or obj.get("kind") != "Secret" or not isinstance(obj.get("data"), dict):
        return {}
    out = {}
    for key, value in obj["data"].items():
        try:
            out[key] = base64.b64decode(str(value), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
    return out


def to_yaml(obj: t.Any) -> str:
    """The bytes (as text) applied and rendered: block style, keys in the order built, no aliases."""
    if not HAS_YAML:
        raise TenantError("PyYAML is needed to render the tenant's objects")

    class _NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data: t.Any) -> bool:
            return True

    return yaml.dump(obj, Dumper=_NoAliases, default_flow_style=False, sort_keys=False, allow_unicode=True,
                     width=4096, explicit_start=False)


def kustomization(files: list[str]) -> str:
    return to_yaml({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                    "resources": list(files)})

#!/usr/bin/python
# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: odoo_tenant
short_description: Apply, render or remove every Kubernetes object of a shared Odoo tenant
version_added: 0.1.0
description:
  - Builds the objects of one Odoo tenant on a shared Kubernetes cluster from its spec and applies them in one
    call with server-side apply under one field manager, or writes them to a directory for a GitOps tool
    (O(render_dir)), or removes the tenant (O(state=absent)).
  - "The objects, in apply order: the Namespace (Pod Security C(restricted) enforced, audited and warned, tenant
    and environment labels), a ResourceQuota and a LimitRange from O(size), NetworkPolicies (default deny of
    ingress and egress; ingress from O(ingress.namespace) to ports 8069 and 8072 of the web pods only; egress
    to DNS in O(dns.namespace), to the database hosts on their port and to Redis, by ipBlock), a
    ServiceAccount without token automount, the Secret (from O(secrets); none with O(existing_secret)), the
    odoo.conf ConfigMap, the filestore PVC, the Service (C(http) 8069, C(websocket) 8072), the web and cron
    Deployments, a PodDisruptionBudget, a HorizontalPodAutoscaler (with O(autoscaling.enabled)), Traefik
    Middlewares (HTTPS redirect, security headers, login rate limit, deny) and IngressRoutes
    (C(traefik.io/v1alpha1); C(/websocket) to the gevent port, C(/web/database) refused), and a suspended
    backup CronJob that the backup work fills."
  - odoo.conf is checked and rendered by the same option catalog as M(odoo_cloud.platform.odoo_config), without
    credentials. The database password reaches Odoo as the official image's C(PASSWORD) variable from the
    Secret; the master password hash (C(admin_passwd)) is added to odoo.conf by an init container from the
    Secret into a memory volume. Every pod runs as user and group 101 with no privilege escalation, seccomp
    C(RuntimeDefault), all capabilities dropped and a read-only root filesystem (C(/tmp) an emptyDir, the
    filestore PVC at C(/var/lib/odoo)). Web pods are ready on C(/web/health); their liveness is a TCP check
    with minutes of tolerance, so a worker busy on a long report is never killed.
  - The web pods run O(size)'s workers and no cron thread; the cron Deployment runs one pod with
    C(--no-http) and the size's cron threads.
  - Several web pods (O(replicas) > 1 or an autoscaler) are refused unless sessions and attachments are shared
    by construction, a ReadWriteMany filestore (O(filestore.access_mode)) or stores outside the pods
    (O(sessions=redis), O(attachments=object_store)); the message names the field.
  - Secret values never appear in the result, the diff or an error message; results name objects by kind and name.
options:
  name:
    description: The tenant's name, a DNS-1123 label. Every object carries it in the label C(odoo-cloud.io/tenant).
    type: str
    required: true
  namespace:
    description: The tenant's namespace; only the tenant's objects live there. Default C(odoo-<name>).
    type: str
  state:
    description:
      - V(present) applies (or, with O(render_dir), renders) the objects; V(absent) removes the tenant's namespace
        and so every object of the tenant, after checking that the namespace is this tenant's.
    type: str
    choices: [present, absent]
    default: present
  environment:
    description: The tenant's environment, a label of every object.
    type: str
    choices: [production, staging, dev]
    default: production
  size:
    description: The tenant's size (plugins/module_utils/_tenant_sizes.py, docs/tenants.md); required with O(state=present).
    type: str
    choices: [xs, s, m, l]
  odoo_version:
    description: Odoo version; with O(image) without a tag, the image tag. Quote it in YAML.
    type: str
    choices: ["16.0", "17.0", "18.0"]
  image:
    description: Image repository (tagged with O(odoo_version) when it has no tag) or full reference.
    type: str
    default: docker.io/library/odoo
  domains:
    description: Host names the IngressRoutes serve; the first one is the main name of the certificate.
    type: list
    elements: str
  addons:
    description: Odoo add-ons of the tenant (names); V(session_redis) is needed for O(sessions=redis).
    type: list
    elements: str
    default: []
  addons_path:
    description: The C(addons_path) of odoo.conf.
    type: list
    elements: str
    default: [/mnt/extra-addons]
  database:
    description: Where the tenant's database is. The hosts are IP addresses (the egress policy allows them by ipBlock).
    type: dict
    suboptions:
      hosts:
        description: Addresses of the database server (libpq multi-host, as C(db_host)).
        type: list
        elements: str
        required: true
      port:
        description: Its port.
        type: int
        default: 5432
      name:
        description: The tenant's database (C(db_name), and C(dbfilter) as C(^name$)); default the tenant name with C(-) as C(_).
        type: str
      user:
        description: The tenant's database role; default C(odoo_) and the tenant name with C(-) as C(_).
        type: str
      sslmode:
        description: C(db_sslmode).
        type: str
        default: prefer
        choices: [disable, allow, prefer, require, verify-ca, verify-full]
  redis:
    description: A Redis endpoint for sessions (O(sessions=redis)); its address is allowed by the egress policy.
    type: dict
    suboptions:
      host:
        description: IP address.
        type: str
        required: true
      port:
        description: Port.
        type: int
        default: 6379
      user:
        description: ACL user; needs O(secrets.redis_password).
        type: str
      prefix:
        description: Key prefix of the sessions; default the tenant name.
        type: str
      expiration:
        description: Session lifetime in seconds.
        type: int
        default: 604800
  replicas:
    description: Web pods (default the size's C(web_replicas)); more than one needs shared sessions and attachments (see the description).
    type: int
  filestore:
    description: The filestore claim.
    type: dict
    suboptions:
      storage_class:
        description: Storage class; required for V(ReadWriteMany).
        type: str
      access_mode:
        description: V(ReadWriteMany) shares the filestore and the sessions of every web pod.
        type: str
        choices: [ReadWriteOnce, ReadWriteMany]
        default: ReadWriteOnce
      size_gb:
        description: Size in GiB; default the size's C(filestore_gb).
        type: int
  sessions:
    description: Where sessions are kept; V(redis) needs O(redis) and the V(session_redis) add-on.
    type: str
    choices: [filestore, redis]
    default: filestore
  attachments:
    description: V(object_store) says that an add-on of the image stores attachments outside the filestore.
    type: str
    choices: [filestore, object_store]
    default: filestore
  autoscaling:
    description: A HorizontalPodAutoscaler of the web pods, from O(replicas) to O(autoscaling.max_replicas).
    type: dict
    suboptions:
      enabled:
        description: Whether there is one.
        type: bool
        default: false
      max_replicas:
        description: Most web pods.
        type: int
      cpu_utilization:
        description: Target average CPU utilization, percent.
        type: int
        default: 75
  ingress:
    description: The ingress controller (Traefik, KubernetesCRD provider) and TLS.
    type: dict
    suboptions:
      namespace:
        description: Namespace of the ingress controller, the only source allowed into the web pods.
        type: str
        default: traefik
      pod_labels:
        description: Labels of the ingress controller's pods, to narrow the allowance further.
        type: dict
        default: {}
      entrypoint:
        description: Traefik's HTTPS entry point.
        type: str
        default: websecure
      http_entrypoint:
        description: Traefik's HTTP entry point, redirected to HTTPS.
        type: str
        default: web
      cert_resolver:
        description: A Traefik certificate resolver for the domains.
        type: str
      tls_secret:
        description: A TLS Secret in the tenant's namespace.
        type: str
  dns:
    description: Where the cluster DNS runs (the egress allowance on port 53).
    type: dict
    suboptions:
      namespace:
        description: Its namespace.
        type: str
        default: kube-system
      pod_labels:
        description: Its pods' labels.
        type: dict
        default: {k8s-app: kube-dns}
  backup:
    description: The backup CronJob placeholder (suspended).
    type: dict
    suboptions:
      schedule:
        description: Cron schedule.
        type: str
        default: "0 3 * * *"
  pod_security_version:
    description: The Pod Security Standards version of the namespace labels.
    type: str
    default: latest
  odoo_options:
    description:
      - More odoo.conf options (C(log_level), C(limit_time_real)...), checked against O(odoo_version) like
        M(odoo_cloud.platform.odoo_config) does. Credentials and the options the module sets are refused.
    type: dict
    default: {}
  secrets:
    description:
      - The secret source, values for the tenant Secret (for example from the vault). Never shown.
      - Exactly one of O(secrets) and O(existing_secret) with O(state=present) outside O(render_dir).
    type: dict
    suboptions:
      db_password:
        description: The tenant's database password (key C(db-password)).
        type: str
      master_password:
        description:
          - Odoo's master password (C(admin_passwd)). The Secret keeps it as a C($pbkdf2-sha512$) hash (600,000
            rounds, random salt) in key C(master-password-hash); when the tenant's current Secret (on the cluster,
            or the file in O(render_dir)) holds a hash of this same password, that hash is kept, so a rerun changes
            nothing, and no salt is ever predictable.
          - Give this or O(secrets.master_password_hash), not both.
        type: str
      master_password_hash:
        description:
          - Odoo's master password as a C($pbkdf2-sha512$) hash made by the caller, for example with the
            P(odoo_cloud.platform.odoo_password_hash#filter) filter; stored as given (key C(master-password-hash)).
            A new random salt each run changes the Secret each run, so prefer O(secrets.master_password).
        type: str
      admin_password:
        description:
          - The admin user's password, kept as a hash for the database initialisation (key C(admin-password-hash)),
            reused like O(secrets.master_password). Give this or O(secrets.admin_password_hash), not both.
        type: str
      admin_password_hash:
        description: The admin user's password as a hash made by the caller (key C(admin-password-hash)).
        type: str
      redis_password:
        description: The Redis user's password (key C(redis-password); the module adds C(redis-url)).
        type: str
  existing_secret:
    description: The name of a Secret of the namespace holding the keys above (managed elsewhere, for example by External Secrets).
    type: str
  render_dir:
    description:
      - GitOps mode. Write the objects to O(render_dir)/<name>/, one YAML file per object and a C(kustomization.yaml),
        byte for byte the bodies that server-side apply would send, and touch no cluster. Other C(*.yaml) files of
        that directory are removed.
      - The Secret is written (mode 0600) only with O(render_secrets=true); prefer O(existing_secret) there.
    type: path
  render_secrets:
    description: Write the Secret in O(render_dir) too.
    type: bool
    default: false
  field_manager:
    description: The field manager of the server-side applies.
    type: str
    default: odoo-cloud-platform
  force_conflicts:
    description: Take over fields another field manager owns instead of failing on the conflict.
    type: bool
    default: false
  wait:
    description: After applying, wait until the web and cron Deployments have rolled out (with O(state=absent), until the namespace is gone).
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait at most; the module fails when they are over, naming what is not ready.
    type: int
    default: 300
  force:
    description: With O(state=absent), remove the tenant although its filestore PVC exists (its data is lost).
    type: bool
    default: false
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - odoo_cloud.platform._attributes
attributes:
  check_mode:
    support: full
    details:
      - Every object goes through a server-side dry-run apply (C(dryRun=All)); for a tenant whose namespace does
        not exist yet, the namespaced objects are reported as to be created without a dry-run. With O(render_dir)
        nothing is written.
  diff_mode:
    support: full
    details:
      - For each object that changes, the object before and after (server fields such as C(managedFields) and
        C(status) left out, Secret values masked).
  idempotent:
    support: full
requirements:
  - kubernetes >= 24.2.0 (not for O(render_dir))
  - PyYAML
notes:
  - A tenant's database and role are created on the database server by the tenant playbook with community.postgresql.
  - The IngressRoutes need Traefik's CRDs in the cluster.
seealso:
  - module: odoo_cloud.platform.odoo_config
  - name: Pod Security Standards
    description: The restricted profile the namespace enforces.
    link: https://kubernetes.io/docs/concepts/security/pod-security-standards/
  - name: Server-side apply
    description: How the objects are applied.
    link: https://kubernetes.io/docs/reference/using-api/server-side-apply/
author:
  - odoo_cloud platform team (@odoo-cloud)
"""

EXAMPLES = r"""
- name: Bootstrap a shared tenant from the tenants inventory
  odoo_cloud.platform.odoo_tenant:
    name: "{{ tenant.name }}"
    namespace: "{{ tenant_namespace }}"
    environment: "{{ tenant.environment }}"
    size: "{{ tenant.size }}"
    odoo_version: "{{ tenant.odoo_version }}"
    image: "{{ tenant.image }}"
    domains: "{{ tenant.domains }}"
    addons: "{{ tenant.addons }}"
    database:
      hosts: "{{ tenant_database_server.hosts }}"
      port: "{{ tenant_database_server.port }}"
      name: "{{ tenant.database.name }}"
      user: "{{ tenant.database.role }}"
      sslmode: require
    secrets:
      db_password: "{{ vault_tenant_db_passwords[tenant.name] }}"
      master_password: "{{ vault_tenant_master_passwords[tenant.name] }}"
      admin_password: "{{ vault_tenant_admin_passwords[tenant.name] }}"
    ingress:
      cert_resolver: letsencrypt
    kubeconfig: /etc/odoo-cloud/kubeconfig
    wait: true
  register: tenant_objects

- name: Two web pods on a ReadWriteMany filestore, scaled up to four
  odoo_cloud.platform.odoo_tenant:
    name: studio-nord
    size: m
    odoo_version: "18.0"
    domains: [odoo.studio-nord.example]
    database: {hosts: [10.30.0.41, 10.30.0.42]}
    filestore: {storage_class: nfs-rwx, access_mode: ReadWriteMany}
    autoscaling: {enabled: true, max_replicas: 4}
    existing_secret: studio-nord-odoo

- name: Render the tenant for Argo CD instead of applying it
  odoo_cloud.platform.odoo_tenant:
    name: bakery-dupont
    size: xs
    odoo_version: "17.0"
    domains: [erp.bakery-dupont.example]
    database: {hosts: [10.30.0.41]}
    existing_secret: bakery-dupont-odoo
    render_dir: "{{ playbook_dir }}/gitops/tenants"

- name: Remove a tenant and its filestore
  odoo_cloud.platform.odoo_tenant:
    name: lab-training
    state: absent
    force: true
    wait: true
"""

RETURN = r"""
namespace:
  description: The tenant's namespace.
  returned: always
  type: str
  sample: odoo-bakery-dupont
objects:
  description:
    - Every object of the tenant in apply order, by kind, name and namespace, with what happened to it
      (V(created), V(configured), V(unchanged), V(deleted), V(absent), V(rendered), V(skipped)). Never data.
  returned: always
  type: list
  elements: dict
  sample: [{"kind": "Namespace", "name": "odoo-bakery-dupont", "namespace": null, "status": "unchanged"},
           {"kind": "Deployment", "name": "odoo-web", "namespace": "odoo-bakery-dupont", "status": "configured"}]
changed_objects:
  description: The objects that changed (or would), as C(Kind/namespace/name).
  returned: always
  type: list
  elements: str
  sample: [Deployment/odoo-bakery-dupont/odoo-web]
files:
  description: With O(render_dir), the files of the tenant's directory (kustomization.yaml last).
  returned: when O(render_dir) is set
  type: list
  elements: str
  sample: [/srv/gitops/bakery-dupont/00-namespace-odoo-bakery-dupont.yaml, /srv/gitops/bakery-dupont/kustomization.yaml]
rollout:
  description: With O(wait), the web and cron Deployments' ready and wanted pods.
  returned: when O(wait) and not in check mode
  type: dict
  sample: {"odoo-web": {"ready": 1, "wanted": 1}, "odoo-cron": {"ready": 1, "wanted": 1}}
"""

import os
import time
import typing as t

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_password as pw
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _tenant_objects as objs

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.args_common import (
        AUTH_ARG_SPEC, extract_sensitive_values_from_kubeconfig,
    )
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    HAS_K8S_CORE = True
except ImportError:
    AUTH_ARG_SPEC = {}
    HAS_K8S_CORE = False

try:
    from kubernetes.dynamic.exceptions import DynamicApiError
    HAS_KUBERNETES = True
except ImportError:
    DynamicApiError = Exception
    HAS_KUBERNETES = False

try:
    from urllib3.exceptions import HTTPError as _Urllib3Error
    TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (_Urllib3Error, OSError)
except ImportError:
    TRANSPORT_ERRORS = (OSError,)

# kind -> resource (plural) name; the API path comes from apiVersion. No discovery is needed.
PLURALS = {
    "Namespace": "namespaces", "ResourceQuota": "resourcequotas", "LimitRange": "limitranges",
    "NetworkPolicy": "networkpolicies", "ServiceAccount": "serviceaccounts", "Secret": "secrets",
    "ConfigMap": "configmaps", "PersistentVolumeClaim": "persistentvolumeclaims", "Service": "services",
    "Deployment": "deployments", "PodDisruptionBudget": "poddisruptionbudgets",
    "HorizontalPodAutoscaler": "horizontalpodautoscalers", "Middleware": "middlewares",
    "IngressRoute": "ingressroutes", "CronJob": "cronjobs",
}
APPLY_CONTENT_TYPE = "application/apply-patch+yaml"
MASK = "********"
# Server-written metadata left out of the comparison and the diff.
SERVER_METADATA = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink")
POLL_SECONDS = 2
# Plain passwords the module hashes, and the Secret values they become.
PLAIN_PASSWORDS = {"master_password": "master_password_hash", "admin_password": "admin_password_hash"}
# Stands for a hash in a Secret that is not written (render_dir without render_secrets): none is computed.
UNUSED_HASH = "$pbkdf2-sha512$1$AA$AA"
REQUEST_TIMEOUT = (10, 60)  # seconds to connect, to read one answer


class TenantModuleError(Exception):
    """A failure the user can act on; never carries a secret value."""


def object_path(obj: dict[str, t.Any], with_name: bool = True) -> str:
    api = obj["apiVersion"]
    base = "/api/v1" if api == "v1" else f"/apis/{api}"
    ns = obj["metadata"].get("namespace")
    path = f"{base}/namespaces/{ns}/{PLURALS[obj['kind']]}" if ns else f"{base}/{PLURALS[obj['kind']]}"
    return f"{path}/{obj['metadata']['name']}" if with_name else path


def comparable(obj: dict[str, t.Any] | None) -> dict[str, t.Any] | None:
    """The object without what the server writes by itself (status, bookkeeping metadata)."""
    if obj is None:
        return None
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in SERVER_METADATA}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items()
                   if k != "deployment.kubernetes.io/revision"}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    return out


def masked(obj: dict[str, t.Any] | None, other: dict[str, t.Any] | None = None) -> dict[str, t.Any] | None:
    """A Secret with its values replaced; other objects as they are."""
    if obj is None or obj.get("kind") != "Secret":
        return obj
    out = dict(obj)
    theirs = (other or {}).get("data") or {}
    out["data"] = {k: MASK + (" (changed)" if other is not None and theirs.get(k) != v else "")
                   for k, v in (obj.get("data") or {}).items()}
    out.pop("stringData", None)
    return out


def _summary(exc: Exception) -> str:
    summary = getattr(exc, "summary", None)
    if callable(summary):
        try:
            return to_native(summary())
        except Exception:  # pylint: disable=broad-except
            pass
    return f"{getattr(exc, 'status', '')} {getattr(exc, 'reason', '')}".strip() or type(exc).__name__


class TenantManager:
    """Computes the objects and what changes; acts on the cluster or the directory only outside check mode."""

    def __init__(self, module: AnsibleModule, client_factory: t.Callable[[], t.Any]) -> None:
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.client_factory = client_factory
        self._client: t.Any = None
        self.namespace = self.params["namespace"] or f"odoo-{self.params['name']}"
        self.result: dict[str, t.Any] = {"changed": False, "namespace": self.namespace, "objects": [],
                                         "changed_objects": []}
        self.diffs: list[dict[str, t.Any]] = []

    @property
    def client(self) -> t.Any:
        if self._client is None:
            self._client = self.client_factory()
        return self._client

    def _request(self, method: str, path: str, **params: t.Any) -> t.Any:
        """One API call, bounded in time; an unreachable API fails at once with a message, not a traceback."""
        params.setdefault("_request_timeout", REQUEST_TIMEOUT)
        try:
            return self.client.request(method, path, **params)
        except TRANSPORT_ERRORS as exc:
            raise TenantModuleError(f"cannot reach the Kubernetes API ({method} {path}): {to_native(exc)}") from None

    # --- the spec ---------------------------------------------------------------------------------
    def spec(self) -> dict[str, t.Any]:
        p = self.params
        keys = ("name", "namespace", "environment", "size", "odoo_version", "image", "domains", "addons",
                "addons_path", "database", "redis", "replicas", "filestore", "sessions", "attachments",
                "autoscaling", "ingress", "dns", "backup", "pod_security_version", "odoo_options",
                "existing_secret")
        spec = {k: p[k] for k in keys if p.get(k) is not None}
        for key in ("database", "redis", "filestore", "autoscaling", "ingress", "dns", "backup"):
            if isinstance(spec.get(key), dict):
                spec[key] = {k: v for k, v in spec[key].items() if v is not None}
        secrets = self.secret_values()
        if secrets:
            spec["secrets"] = secrets
        elif p["render_dir"] and not p["existing_secret"] and not p["render_secrets"]:
            # Rendering without secrets: the Secret is not written, so none is needed.
            spec["secrets"] = {"db_password": "unused", "master_password_hash": UNUSED_HASH}
        return spec

    # --- the Odoo password hashes -----------------------------------------------------------------
    def secret_values(self) -> dict[str, t.Any]:
        """The Secret's values, the plain passwords replaced by their hashes (the current ones when they match)."""
        p = self.params
        given = {k: v for k, v in (p["secrets"] or {}).items() if v not in (None, "")}
        for plain, hashed in PLAIN_PASSWORDS.items():
            if plain in given and hashed in given:
                raise TenantModuleError(f"secrets.{plain} and secrets.{hashed}: give the password or its hash, not both")
        plains = [k for k in PLAIN_PASSWORDS if k in given]
        if not plains:
            return given
        if p["render_dir"] and not p["render_secrets"]:
            # The Secret is not written: 600,000 rounds per hash would buy nothing.
            return {**{k: v for k, v in given.items() if k not in plains},
                    **{PLAIN_PASSWORDS[k]: UNUSED_HASH for k in plains}}
        current = self.current_secret_data()
        for plain in plains:
            key = PLAIN_PASSWORDS[plain]
            # Hashes of the 0.1 k8s_tenant role were salted with "odoo-cloud/<tenant>/<purpose>": replaced.
            retired = f"odoo-cloud/{p['name']}/{plain.split('_', 1)[0]}".encode("utf-8")
            given[key] = pw.keep_or_make(given.pop(plain), current.get(objs.SECRET_KEYS[key]),
                                         retired_salts=(retired,))
        return given

    def current_secret_data(self) -> dict[str, str]:
        """The tenant Secret's values as they are now: on the cluster, or in the rendered file."""
        if self.params["render_dir"]:
            directory = os.path.join(self.params["render_dir"], self.params["name"])
            current = None
            if os.path.isdir(directory):
                for name in sorted(os.listdir(directory)):
                    if name.endswith(f"-secret-{objs.SECRET_NAME}.yaml"):
                        with open(os.path.join(directory, name), "rb") as handle:
                            try:
                                current = objs.from_yaml(handle.read())
                            except ValueError:
                                current = None  # unreadable: new hashes, and the file is rewritten
        else:
            current = self.get({"apiVersion": "v1", "kind": "Secret",
                                "metadata": {"name": objs.SECRET_NAME, "namespace": self.namespace}})
        return objs.secret_data(current)

    def _record(self, obj: dict[str, t.Any], status: str, changed: bool) -> None:
        meta = obj["metadata"]
        self.result["objects"].append({"kind": obj["kind"], "name": meta["name"],
                                       "namespace": meta.get("namespace"), "status": status})
        if changed:
            self.result["changed"] = True
            self.result["changed_objects"].append(objs.object_id(obj))

    # --- present ----------------------------------------------------------------------------------
    def present(self) -> dict[str, t.Any]:
        try:
            objects = objs.tenant_objects(self.spec())
        except objs.TenantError as exc:
            raise TenantModuleError(str(exc)) from None
        if self.params["render_dir"]:
            self.render(objects)
        else:
            self.apply(objects)
            if self.params["wait"] and not self.check_mode:
                self.wait_rollout()
        if self.module._diff:
            self.result["diff"] = self.diffs
        return self.result

    def render(self, objects: list[dict[str, t.Any]]) -> None:
        directory = os.path.join(self.params["render_dir"], self.params["name"])
        wanted: list[tuple[str, str, int, dict[str, t.Any] | None]] = []
        index = 0
        for obj in objects:
            if obj["kind"] == "Secret" and not self.params["render_secrets"]:
                self._record(obj, "skipped", False)
                continue
            wanted.append((objs.file_name(index, obj), objs.to_yaml(obj), 0o600 if obj["kind"] == "Secret" else 0o644,
                           obj))
            index += 1
        wanted.append(("kustomization.yaml", objs.kustomization([w[0] for w in wanted]), 0o644, None))
        existing = sorted(f for f in os.listdir(directory) if f.endswith(".yaml")) if os.path.isdir(directory) else []
        files = []
        for name, text, mode, obj in wanted:
            path = os.path.join(directory, name)
            files.append(path)
            current = None
            if os.path.isfile(path):
                with open(path, "rb") as handle:
                    current = handle.read().decode("utf-8", errors="replace")
            changed = current != text
            if obj is not None:
                self._record(obj, "rendered" if changed else "unchanged", changed)
            elif changed:
                self.result["changed"] = True
            if changed:
                if self.module._diff:
                    self.diffs.append({"before_header": path, "after_header": path,
                                       "before": "" if current is None or mode == 0o600 else current,
                                       "after": text if mode != 0o600 else MASK + "\n"})
                if not self.check_mode:
                    self._write(directory, path, text, mode)
        for stale in sorted(set(existing) - {w[0] for w in wanted}):
            self.result["changed"] = True
            if not self.check_mode:
                os.remove(os.path.join(directory, stale))
        self.result["files"] = files

    def _write(self, directory: str, path: str, text: str, mode: int) -> None:
        os.makedirs(directory, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode("utf-8"))
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    def get(self, obj: dict[str, t.Any]) -> dict[str, t.Any] | None:
        try:
            return self._request("GET", object_path(obj)).to_dict()
        except DynamicApiError as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise TenantModuleError(f"cannot read {objs.object_id(obj)}: {_summary(exc)}") from None

    def apply(self, objects: list[dict[str, t.Any]]) -> None:
        namespace_missing = False
        for obj in objects:
            live = self.get(obj)
            if obj["kind"] == "Namespace":
                namespace_missing = live is None
                if live is not None and (live["metadata"].get("labels") or {}).get(objs.TENANT_LABEL) \
                        not in (None, self.params["name"]):
                    raise TenantModuleError(
                        f"namespace {self.namespace} belongs to tenant "
                        f"{live['metadata']['labels'][objs.TENANT_LABEL]!r}, not {self.params['name']!r}"
                    )
            if self.check_mode and namespace_missing and obj["metadata"].get("namespace"):
                # A dry-run in a namespace that does not exist yet is refused: report it as to be created.
                self._record(obj, "created", True)
                if self.module._diff:
                    self._diff(obj, None, obj)
                continue
            result = self._apply_one(obj)
            if self.check_mode:
                changed = live is None or comparable(live) != comparable(result)
            else:
                changed = live is None or (live["metadata"].get("resourceVersion")
                                           != result["metadata"].get("resourceVersion"))
            self._record(obj, ("created" if live is None else "configured") if changed else "unchanged", changed)
            if changed and self.module._diff:
                self._diff(obj, live, result)

    def _apply_one(self, obj: dict[str, t.Any]) -> dict[str, t.Any]:
        params: dict[str, t.Any] = {
            "content_type": APPLY_CONTENT_TYPE,
            "field_manager": self.params["field_manager"],
            "force_conflicts": self.params["force_conflicts"],
        }
        if self.check_mode:
            params["dry_run"] = "All"
        try:
            return self._request("PATCH", object_path(obj), body=objs.to_yaml(obj), **params).to_dict()
        except DynamicApiError as exc:
            hint = ""
            if getattr(exc, "status", None) == 409:
                hint = " (another field manager owns these fields; force_conflicts: true takes them over)"
            elif getattr(exc, "status", None) == 404 and obj["apiVersion"].startswith("traefik.io/"):
                hint = " (are Traefik's CRDs installed?)"
            raise TenantModuleError(f"cannot apply {objs.object_id(obj)}: {_summary(exc)}{hint}") from None

    def _diff(self, obj: dict[str, t.Any], before: dict[str, t.Any] | None, after: dict[str, t.Any]) -> None:
        header = objs.object_id(obj)
        before_c = comparable(before)
        after_c = comparable(after)
        self.diffs.append({
            "before_header": header, "after_header": header,
            "before": objs.to_yaml(masked(before_c)) if before_c is not None else "",
            "after": objs.to_yaml(masked(after_c, before_c if before_c is not None else {})),
        })

    def wait_rollout(self) -> None:
        deadline = time.monotonic() + self.params["wait_timeout"]
        names = (objs.WEB, objs.CRON)
        rollout: dict[str, dict[str, int]] = {}
        while True:
            pending = []
            for name in names:
                path = f"/apis/apps/v1/namespaces/{self.namespace}/deployments/{name}"
                try:
                    dep = self._request("GET", path).to_dict()
                except DynamicApiError as exc:
                    raise TenantModuleError(f"cannot read Deployment {self.namespace}/{name}: {_summary(exc)}") from None
                status = dep.get("status") or {}
                wanted = (dep.get("spec") or {}).get("replicas", 1)
                ready = status.get("availableReplicas") or 0
                rollout[name] = {"ready": ready, "wanted": wanted}
                done = (status.get("observedGeneration", 0) >= dep["metadata"].get("generation", 0)
                        and (status.get("updatedReplicas") or 0) == wanted and ready == wanted
                        and (status.get("replicas") or 0) == wanted)
                if not done:
                    pending.append(f"{name} ({ready}/{wanted} available, {status.get('updatedReplicas') or 0} updated)")
            self.result["rollout"] = rollout
            if not pending:
                return
            if time.monotonic() >= deadline:
                raise TenantModuleError(
                    f"the rollout of tenant {self.params['name']} is not done after {self.params['wait_timeout']} s: "
                    + ", ".join(pending)
                )
            time.sleep(POLL_SECONDS)

    # --- absent -----------------------------------------------------------------------------------
    def absent(self) -> dict[str, t.Any]:
        ns_obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace}}
        live = self.get(ns_obj)
        if live is None:
            self._record(ns_obj, "absent", False)
            return self.result
        labels = live["metadata"].get("labels") or {}
        if labels.get(objs.TENANT_LABEL) != self.params["name"] or \
                labels.get("app.kubernetes.io/managed-by") != objs.MANAGED_BY:
            raise TenantModuleError(
                f"namespace {self.namespace} is not tenant {self.params['name']!r}'s (labels "
                f"{objs.TENANT_LABEL}={labels.get(objs.TENANT_LABEL)!r}, app.kubernetes.io/managed-by="
                f"{labels.get('app.kubernetes.io/managed-by')!r}): nothing removed"
            )
        pvc_list = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "", "namespace": self.namespace}}
        try:
            pvcs = self._request("GET", object_path(pvc_list, with_name=False)).to_dict().get("items") or []
        except DynamicApiError as exc:
            raise TenantModuleError(f"cannot list the PVCs of {self.namespace}: {_summary(exc)}") from None
        if pvcs and not self.params["force"]:
            names = ", ".join(sorted(p["metadata"]["name"] for p in pvcs))
            raise TenantModuleError(
                f"tenant {self.params['name']}: the PVC(s) {names} of namespace {self.namespace} hold the filestore; "
                "back it up, then remove with force: true (the database on the database server is not removed)"
            )
        if self.module._diff:
            self.diffs.append({"before_header": objs.object_id(live), "after_header": objs.object_id(live),
                               "before": objs.to_yaml(comparable(live)), "after": ""})
            self.result["diff"] = self.diffs
        params: dict[str, t.Any] = {"propagation_policy": "Foreground"}
        if self.check_mode:
            params["dry_run"] = "All"
        try:
            self._request("DELETE", object_path(ns_obj), **params)
        except DynamicApiError as exc:
            if getattr(exc, "status", None) != 404:
                raise TenantModuleError(f"cannot delete namespace {self.namespace}: {_summary(exc)}") from None
        self._record(live, "deleted", True)
        if self.params["wait"] and not self.check_mode:
            deadline = time.monotonic() + self.params["wait_timeout"]
            while self.get(ns_obj) is not None:
                if time.monotonic() >= deadline:
                    raise TenantModuleError(
                        f"namespace {self.namespace} is still terminating after {self.params['wait_timeout']} s"
                    )
                time.sleep(POLL_SECONDS)
        return self.result

    def run(self) -> dict[str, t.Any]:
        if self.params["state"] == "absent":
            if self.params["render_dir"]:
                raise TenantModuleError("render_dir: rendering is for state present (remove the directory from Git instead)")
            return self.absent()
        missing = [k for k in ("size", "odoo_version", "domains", "database") if not self.params.get(k)]
        if missing:
            raise TenantModuleError(f"state is present but these options are missing: {', '.join(missing)}")
        return self.present()


def argument_spec() -> dict[str, t.Any]:
    spec: dict[str, t.Any] = {
        "name": {"type": "str", "required": True},
        "namespace": {"type": "str"},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "environment": {"type": "str", "default": "production", "choices": list(objs.ENVIRONMENTS)},
        "size": {"type": "str", "choices": ["xs", "s", "m", "l"]},
        "odoo_version": {"type": "str", "choices": ["16.0", "17.0", "18.0"]},
        "image": {"type": "str", "default": "docker.io/library/odoo"},
        "domains": {"type": "list", "elements": "str"},
        "addons": {"type": "list", "elements": "str", "default": []},
        "addons_path": {"type": "list", "elements": "str", "default": ["/mnt/extra-addons"]},
        "database": {"type": "dict", "options": {
            "hosts": {"type": "list", "elements": "str", "required": True},
            "port": {"type": "int", "default": 5432},
            "name": {"type": "str"},
            "user": {"type": "str"},
            "sslmode": {"type": "str", "default": "prefer",
                        "choices": ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]},
        }},
        "redis": {"type": "dict", "options": {
            "host": {"type": "str", "required": True},
            "port": {"type": "int", "default": 6379},
            "user": {"type": "str"},
            "prefix": {"type": "str"},
            "expiration": {"type": "int", "default": 604800},
        }},
        "replicas": {"type": "int"},
        "filestore": {"type": "dict", "options": {
            "storage_class": {"type": "str"},
            "access_mode": {"type": "str", "default": "ReadWriteOnce", "choices": ["ReadWriteOnce", "ReadWriteMany"]},
            "size_gb": {"type": "int"},
        }},
        "sessions": {"type": "str", "default": "filestore", "choices": ["filestore", "redis"]},
        "attachments": {"type": "str", "default": "filestore", "choices": ["filestore", "object_store"]},
        "autoscaling": {"type": "dict", "options": {
            "enabled": {"type": "bool", "default": False},
            "max_replicas": {"type": "int"},
            "cpu_utilization": {"type": "int", "default": 75},
        }},
        "ingress": {"type": "dict", "options": {
            "namespace": {"type": "str", "default": "traefik"},
            "pod_labels": {"type": "dict", "default": {}},
            "entrypoint": {"type": "str", "default": "websecure"},
            "http_entrypoint": {"type": "str", "default": "web"},
            "cert_resolver": {"type": "str"},
            "tls_secret": {"type": "str", "no_log": False},
        }},
        "dns": {"type": "dict", "options": {
            "namespace": {"type": "str", "default": "kube-system"},
            "pod_labels": {"type": "dict", "default": {"k8s-app": "kube-dns"}},
        }},
        "backup": {"type": "dict", "options": {"schedule": {"type": "str", "default": "0 3 * * *"}}},
        "pod_security_version": {"type": "str", "default": "latest"},
        "odoo_options": {"type": "dict", "default": {}},
        "secrets": {"type": "dict", "no_log": True, "options": {
            "db_password": {"type": "str", "no_log": True},
            "master_password": {"type": "str", "no_log": True},
            "master_password_hash": {"type": "str", "no_log": True},
            "admin_password": {"type": "str", "no_log": True},
            "admin_password_hash": {"type": "str", "no_log": True},
            "redis_password": {"type": "str", "no_log": True},
        }},
        "existing_secret": {"type": "str", "no_log": False},
        "render_dir": {"type": "path"},
        "render_secrets": {"type": "bool", "default": False, "no_log": False},
        "field_manager": {"type": "str", "default": "odoo-cloud-platform"},
        "force_conflicts": {"type": "bool", "default": False},
        "wait": {"type": "bool", "default": False},
        "wait_timeout": {"type": "int", "default": 300},
        "force": {"type": "bool", "default": False},
    }
    for key, value in AUTH_ARG_SPEC.items():
        spec[key] = dict(value)
    return spec


def kubernetes_client(module: AnsibleModule) -> t.Any:
    """The kubernetes.core dynamic client for the connection options (kubeconfig, context, host, ...)."""
    if not HAS_K8S_CORE:
        module.fail_json(msg=missing_required_lib("kubernetes.core (collection)"))
    if not HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"))
    auth = {key: module.params.get(key) for key in AUTH_ARG_SPEC if module.params.get(key) is not None}
    try:
        return get_api_client(**auth).client
    except Exception as exc:  # pylint: disable=broad-except
        raise TenantModuleError(f"cannot connect to the Kubernetes API: {to_native(exc)}") from None


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           mutually_exclusive=[("secrets", "existing_secret")])
    if not objs.HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    if HAS_K8S_CORE and isinstance(module.params.get("kubeconfig"), dict):
        module.no_log_values.update(extract_sensitive_values_from_kubeconfig(module.params["kubeconfig"]))
    manager = TenantManager(module, lambda: kubernetes_client(module))
    try:
        result = manager.run()
    except TenantModuleError as exc:
        module.fail_json(msg=str(exc), **manager.result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Kubernetes objects of a shared tenant, rendered from its spec without a cluster."""

from __future__ import annotations

import base64
import configparser
import copy

import pytest
import yaml

from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_options as catalog
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _tenant_objects as T
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _tenant_sizes as sizes

DB_PW = "S3nt1nel-db-pw"
REDIS_PW = "S3nt1nel-redis p@ss/word"
MASTER = "$pbkdf2-sha512$600000$c2FsdHNhbHQ$Y2hlY2tzdW1jaGVja3N1bQ"
ADMIN = "$pbkdf2-sha512$600000$YWRtaW5zYWx0$YWRtaW5jaGVja3N1bQ"


def base_spec(**overrides):
    spec = {
        "name": "bakery",
        "environment": "production",
        "size": "xs",
        "odoo_version": "17.0",
        "domains": ["erp.bakery.example", "www.bakery.example"],
        "addons": ["website_sale"],
        "database": {"hosts": ["10.30.0.41", "10.30.0.42"], "port": 5432, "name": "bakery_prod"},
        "secrets": {"db_password": DB_PW, "master_password_hash": MASTER, "admin_password_hash": ADMIN},
    }
    spec.update(overrides)
    return spec


def redis_spec(**overrides):
    spec = base_spec(
        redis={"host": "10.30.0.51", "port": 6380, "user": "bakery"},
        sessions="redis", attachments="object_store", addons=["session_redis"],
        secrets={"db_password": DB_PW, "master_password_hash": MASTER, "redis_password": REDIS_PW},
    )
    spec.update(overrides)
    return spec


def by_kind(objects, kind, name=None):
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert found, f"no {kind} {name or ''}"
    return found if name is None else found[0]


def pod_specs(objects):
    pods = [by_kind(objects, "Deployment", T.WEB)["spec"]["template"]["spec"],
            by_kind(objects, "Deployment", T.CRON)["spec"]["template"]["spec"],
            by_kind(objects, "CronJob", "odoo-backup")["spec"]["jobTemplate"]["spec"]["template"]["spec"]]
    return pods


# --- the kinds and their order ------------------------------------------------------------------------

def test_every_kind_in_apply_order():
    objects = T.tenant_objects(base_spec())
    assert [T.object_id(o) for o in objects] == [
        "Namespace/odoo-bakery",
        "ResourceQuota/odoo-bakery/odoo-quota",
        "LimitRange/odoo-bakery/odoo-limits",
        "NetworkPolicy/odoo-bakery/default-deny",
        "NetworkPolicy/odoo-bakery/allow-ingress-controller",
        "NetworkPolicy/odoo-bakery/allow-dns",
        "NetworkPolicy/odoo-bakery/allow-database",
        "ServiceAccount/odoo-bakery/odoo",
        "Secret/odoo-bakery/odoo-secrets",
        "ConfigMap/odoo-bakery/odoo-config",
        "PersistentVolumeClaim/odoo-bakery/odoo-filestore",
        "Service/odoo-bakery/odoo",
        "Deployment/odoo-bakery/odoo-web",
        "Deployment/odoo-bakery/odoo-cron",
        "PodDisruptionBudget/odoo-bakery/odoo-web",
        "Middleware/odoo-bakery/odoo-redirect-https",
        "Middleware/odoo-bakery/odoo-security-headers",
        "Middleware/odoo-bakery/odoo-login-ratelimit",
        "Middleware/odoo-bakery/odoo-deny-all",
        "IngressRoute/odoo-bakery/odoo-http",
        "IngressRoute/odoo-bakery/odoo",
        "CronJob/odoo-bakery/odoo-backup",
    ]


def test_api_versions():
    versions = {o["kind"]: o["apiVersion"] for o in T.tenant_objects(redis_spec(replicas=2, autoscaling={
        "enabled": True, "max_replicas": 4}))}
    assert versions == {
        "Namespace": "v1", "ResourceQuota": "v1", "LimitRange": "v1", "NetworkPolicy": "networking.k8s.io/v1",
        "ServiceAccount": "v1", "Secret": "v1", "ConfigMap": "v1", "PersistentVolumeClaim": "v1", "Service": "v1",
        "Deployment": "apps/v1", "PodDisruptionBudget": "policy/v1", "HorizontalPodAutoscaler": "autoscaling/v2",
        "Middleware": "traefik.io/v1alpha1", "IngressRoute": "traefik.io/v1alpha1", "CronJob": "batch/v1",
    }


def test_namespace_enforces_restricted():
    ns = by_kind(T.tenant_objects(base_spec(pod_security_version="v1.37")), "Namespace", "odoo-bakery")
    labels = ns["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "v1.37"
    assert labels["odoo-cloud.io/tenant"] == "bakery"
    assert labels["odoo-cloud.io/environment"] == "production"
    assert "namespace" not in ns["metadata"]


def test_custom_namespace():
    objects = T.tenant_objects(base_spec(namespace="tenant-bakery"))
    assert {o["metadata"].get("namespace") for o in objects[1:]} == {"tenant-bakery"}
    assert objects[0]["metadata"]["name"] == "tenant-bakery"


@pytest.mark.parametrize("size", sizes.size_names())
def test_quota_and_limits_from_size(size):
    objects = T.tenant_objects(base_spec(size=size, replicas=1))
    row = sizes.tenant_size(size)
    hard = by_kind(objects, "ResourceQuota", "odoo-quota")["spec"]["hard"]
    q = row["quota"]
    assert hard == {
        "limits.cpu": f"{q['limits_cpu_m']}m", "limits.memory": f"{q['limits_memory_mb']}Mi",
        "persistentvolumeclaims": str(q["persistentvolumeclaims"]), "pods": str(q["pods"]),
        "requests.cpu": f"{q['requests_cpu_m']}m", "requests.memory": f"{q['requests_memory_mb']}Mi",
        "requests.storage": f"{row['filestore_gb']}Gi", "services": str(q["services"]),
        "services.loadbalancers": "0", "services.nodeports": "0",
    }
    limits = by_kind(objects, "LimitRange", "odoo-limits")["spec"]["limits"][0]
    assert limits["type"] == "Container"
    assert limits["default"] == {"cpu": f"{row['cpu_limit_m']}m", "memory": f"{row['memory_limit_mb']}Mi"}
    assert limits["defaultRequest"] == {"cpu": f"{row['cpu_request_m']}m", "memory": f"{row['memory_request_mb']}Mi"}
    assert limits["max"] == limits["default"]
    web = by_kind(objects, "Deployment", T.WEB)["spec"]["template"]["spec"]["containers"][0]
    assert web["resources"]["limits"] == limits["default"]
    pvc = by_kind(objects, "PersistentVolumeClaim", T.PVC_NAME)
    assert pvc["spec"]["resources"]["requests"]["storage"] == f"{row['filestore_gb']}Gi"


@pytest.mark.parametrize("size", sizes.size_names())
def test_web_and_cron_pods_fit_the_quota(size):
    row = sizes.tenant_size(size)
    pods = row["web_replicas"] + 1
    assert pods * row["memory_limit_mb"] <= row["quota"]["limits_memory_mb"]
    assert pods * row["cpu_limit_m"] <= row["quota"]["limits_cpu_m"]


# --- network policies ------------------------------------------------------------------------------

def test_network_policies_exactly():
    policies = {p["metadata"]["name"]: p["spec"] for p in by_kind(T.tenant_objects(base_spec()), "NetworkPolicy")}
    web = {"app.kubernetes.io/name": "odoo", "app.kubernetes.io/component": "web", "odoo-cloud.io/tenant": "bakery"}
    assert policies == {
        "default-deny": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        "allow-ingress-controller": {
            "podSelector": {"matchLabels": web}, "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "traefik"}}}],
                         "ports": [{"port": 8069, "protocol": "TCP"}, {"port": 8072, "protocol": "TCP"}]}],
        },
        "allow-dns": {
            "podSelector": {}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}],
        },
        "allow-database": {
            "podSelector": {}, "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "10.30.0.41/32"}}, {"ipBlock": {"cidr": "10.30.0.42/32"}}],
                        "ports": [{"port": 5432, "protocol": "TCP"}]}],
        },
    }


def test_network_policies_redis_ipv6_and_ingress_pods():
    spec = redis_spec(database={"hosts": ["fd00::41"], "port": 6432},
                      ingress={"namespace": "ingress", "pod_labels": {"app.kubernetes.io/name": "traefik"}})
    policies = {p["metadata"]["name"]: p["spec"] for p in by_kind(T.tenant_objects(spec), "NetworkPolicy")}
    assert policies["allow-redis"]["egress"] == [{"to": [{"ipBlock": {"cidr": "10.30.0.51/32"}}],
                                                  "ports": [{"port": 6380, "protocol": "TCP"}]}]
    assert policies["allow-database"]["egress"] == [{"to": [{"ipBlock": {"cidr": "fd00::41/128"}}],
                                                     "ports": [{"port": 6432, "protocol": "TCP"}]}]
    assert policies["allow-ingress-controller"]["ingress"][0]["from"] == [{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "traefik"}}}]
    assert sorted(policies) == ["allow-database", "allow-dns", "allow-ingress-controller", "allow-redis", "default-deny"]


# --- pods ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", [base_spec(), redis_spec(replicas=3)], ids=["xs", "redis-3"])
def test_pods_are_restricted(spec):
    for pod in pod_specs(T.tenant_objects(spec)):
        assert pod["automountServiceAccountToken"] is False
        assert pod["serviceAccountName"] == "odoo"
        assert pod["securityContext"] == {
            "fsGroup": 101, "fsGroupChangePolicy": "OnRootMismatch", "runAsGroup": 101, "runAsNonRoot": True,
            "runAsUser": 101, "seccompProfile": {"type": "RuntimeDefault"}}
        for container in pod["containers"] + pod.get("initContainers", []):
            assert container["securityContext"] == {
                "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True,
                "runAsGroup": 101, "runAsNonRoot": True, "runAsUser": 101, "seccompProfile": {"type": "RuntimeDefault"}}
            assert container["resources"]["requests"] and container["resources"]["limits"]
        for volume in pod.get("volumes", []):
            assert set(volume) - {"name"} <= {"configMap", "emptyDir", "persistentVolumeClaim", "secret"}


def test_writable_paths_and_config():
    objects = T.tenant_objects(base_spec())
    pod = by_kind(objects, "Deployment", T.WEB)["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m for m in pod["containers"][0]["volumeMounts"]}
    assert sorted(mounts) == ["/etc/odoo", "/tmp", "/var/lib/odoo"]
    assert mounts["/etc/odoo"]["readOnly"] is True
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes[mounts["/tmp"]["name"]]["emptyDir"]
    assert volumes[mounts["/var/lib/odoo"]["name"]]["persistentVolumeClaim"] == {"claimName": "odoo-filestore"}
    assert volumes["config"]["emptyDir"]["medium"] == "Memory"
    assert volumes["master-password"]["secret"]["items"] == [{"key": "master-password-hash",
                                                              "path": "master-password-hash"}]
    init = pod["initContainers"][0]
    assert "admin_passwd = %s" in init["command"][2]
    assert "/run/odoo/template/odoo.conf" in init["command"][2]


def test_probes():
    container = by_kind(T.tenant_objects(base_spec()), "Deployment", T.WEB)["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"] == {"path": "/web/health", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/web/health", "port": "http"}
    liveness = container["livenessProbe"]
    assert "tcpSocket" in liveness and "httpGet" not in liveness
    # A worker busy on a long report is not killed: minutes of failures before a restart.
    assert liveness["periodSeconds"] * liveness["failureThreshold"] >= 300
    assert [p["containerPort"] for p in container["ports"]] == [8069, 8072]


def test_web_and_cron_deployments():
    objects = T.tenant_objects(base_spec())
    web = by_kind(objects, "Deployment", T.WEB)["spec"]
    cron = by_kind(objects, "Deployment", T.CRON)["spec"]
    assert web["replicas"] == 1 and web["strategy"] == {"type": "Recreate"}
    assert "args" not in web["template"]["spec"]["containers"][0]
    assert cron["replicas"] == 1 and cron["strategy"] == {"type": "Recreate"}
    assert cron["template"]["spec"]["containers"][0]["args"] == ["--no-http", "--max-cron-threads=1"]
    assert "ports" not in cron["template"]["spec"]["containers"][0]
    # ReadWriteOnce: the cron pod is scheduled where the web pod mounts the claim.
    affinity = cron["template"]["spec"]["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert affinity[0]["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == "web"
    assert web["selector"]["matchLabels"] == {"app.kubernetes.io/name": "odoo", "app.kubernetes.io/component": "web",
                                              "odoo-cloud.io/tenant": "bakery"}
    hashes = {web["template"]["metadata"]["annotations"][T.CONFIG_HASH_ANNOTATION],
              cron["template"]["metadata"]["annotations"][T.CONFIG_HASH_ANNOTATION]}
    assert len(hashes) == 1
    changed = T.tenant_objects(base_spec(odoo_options={"log_level": "warn"}))
    assert by_kind(changed, "Deployment", T.WEB)["spec"]["template"]["metadata"]["annotations"] != \
        web["template"]["metadata"]["annotations"]


def test_several_replicas_with_rwx():
    spec = base_spec(size="m", filestore={"storage_class": "nfs", "access_mode": "ReadWriteMany"})
    objects = T.tenant_objects(spec)
    web = by_kind(objects, "Deployment", T.WEB)["spec"]
    assert web["replicas"] == 2
    assert web["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    pvc = by_kind(objects, "PersistentVolumeClaim", T.PVC_NAME)["spec"]
    assert pvc["accessModes"] == ["ReadWriteMany"] and pvc["storageClassName"] == "nfs"
    assert "affinity" not in by_kind(objects, "Deployment", T.CRON)["spec"]["template"]["spec"]


def test_several_replicas_with_stores_keep_data_dir_per_pod():
    objects = T.tenant_objects(redis_spec(replicas=3))
    web = by_kind(objects, "Deployment", T.WEB)["spec"]["template"]["spec"]
    assert {v["name"]: v for v in web["volumes"]}["filestore"] == {"name": "filestore", "emptyDir": {"sizeLimit": "5Gi"}}
    cron = by_kind(objects, "Deployment", T.CRON)["spec"]["template"]["spec"]
    assert {v["name"]: v for v in cron["volumes"]}["filestore"]["persistentVolumeClaim"] == {"claimName": "odoo-filestore"}


def test_redis_sessions_env_from_secret():
    objects = T.tenant_objects(redis_spec())
    env = by_kind(objects, "Deployment", T.WEB)["spec"]["template"]["spec"]["containers"][0]["env"]
    named = {e["name"]: e for e in env}
    assert named["PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "odoo-secrets", "key": "db-password"}
    assert named["ODOO_SESSION_REDIS_URL"]["valueFrom"]["secretKeyRef"]["key"] == "redis-url"
    assert named["ODOO_SESSION_REDIS_HOST"]["value"] == "10.30.0.51"
    for e in env:
        assert "value" not in e or REDIS_PW not in e["value"]
    data = by_kind(objects, "Secret", "odoo-secrets")["data"]
    assert base64.b64decode(data["redis-url"]).decode() == \
        "redis://bakery:S3nt1nel-redis%20p%40ss%2Fword@10.30.0.51:6380/0"
    conf = by_kind(objects, "ConfigMap", "odoo-config")["data"]["odoo.conf"]
    assert "server_wide_modules = base,web,session_redis" in conf


# --- secrets and odoo.conf ----------------------------------------------------------------------------

def test_secret_holds_the_callers_values():
    data = by_kind(T.tenant_objects(base_spec()), "Secret", "odoo-secrets")["data"]
    assert {k: base64.b64decode(v).decode() for k, v in data.items()} == {
        "admin-password-hash": ADMIN, "db-password": DB_PW, "master-password-hash": MASTER}


def test_no_secret_value_outside_the_secret():
    objects = T.tenant_objects(redis_spec(secrets={"db_password": DB_PW, "master_password_hash": MASTER,
                                                   "admin_password_hash": ADMIN, "redis_password": REDIS_PW}))
    for obj in objects:
        if obj["kind"] == "Secret":
            continue
        text = T.to_yaml(obj)
        for value in (DB_PW, REDIS_PW, MASTER, ADMIN, "S3nt1nel"):
            assert value not in text, f"{T.object_id(obj)} holds a secret value"
    conf = by_kind(objects, "ConfigMap", "odoo-config")["data"]["odoo.conf"]
    parser = configparser.RawConfigParser()
    parser.read_string(conf)
    assert not set(parser["options"]) & catalog.SECRET_OPTIONS


def test_existing_secret_is_referenced_not_rendered():
    spec = base_spec(secrets=None, existing_secret="bakery-vault")
    objects = T.tenant_objects(spec)
    assert not [o for o in objects if o["kind"] == "Secret"]
    pod = by_kind(objects, "Deployment", T.WEB)["spec"]["template"]["spec"]
    assert pod["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "bakery-vault"
    assert {v["name"]: v for v in pod["volumes"]}["master-password"]["secret"]["secretName"] == "bakery-vault"


def test_odoo_conf_rendered_by_the_option_catalog():
    conf = by_kind(T.tenant_objects(base_spec()), "ConfigMap", "odoo-config")["data"]["odoo.conf"]
    parser = configparser.RawConfigParser()
    parser.read_string(conf)
    options = dict(parser["options"])
    assert list(options) == sorted(options)
    for name in options:
        assert catalog.check_name("17.0", name) is None
    assert options["db_host"] == "10.30.0.41,10.30.0.42"
    assert options["db_name"] == "bakery_prod"
    assert options["dbfilter"] == "^bakery_prod$"
    assert options["db_user"] == "odoo_bakery"
    assert options["list_db"] == "False"
    assert options["proxy_mode"] == "True"
    assert options["workers"] == "2"
    assert options["max_cron_threads"] == "0"
    assert options["db_maxconn"] == "4"
    assert options["data_dir"] == "/var/lib/odoo"
    assert options["http_port"] == "8069" and options["gevent_port"] == "8072"


def test_odoo_options_checked_by_the_catalog():
    with pytest.raises(T.TenantError, match="did you mean 'log_level'"):
        T.tenant_objects(base_spec(odoo_options={"log_levl": "warn"}))
    with pytest.raises(T.TenantError, match=r"odoo_options.workers: set by the module"):
        T.tenant_objects(base_spec(odoo_options={"workers": 9}))
    with pytest.raises(T.TenantError, match=r"odoo_options.smtp_password: a credential"):
        T.tenant_objects(base_spec(odoo_options={"smtp_password": "x"}))


# --- ingress ------------------------------------------------------------------------------------------

def test_ingress_routes_and_middlewares():
    objects = T.tenant_objects(base_spec(ingress={"cert_resolver": "le"}))
    mws = {m["metadata"]["name"]: m["spec"] for m in by_kind(objects, "Middleware")}
    assert mws["odoo-redirect-https"] == {"redirectScheme": {"scheme": "https", "permanent": True}}
    assert mws["odoo-login-ratelimit"]["rateLimit"]["average"] == 10
    assert mws["odoo-deny-all"] == {"ipAllowList": {"sourceRange": ["255.255.255.255/32"]}}
    headers = mws["odoo-security-headers"]["headers"]
    assert headers["stsSeconds"] == 31536000 and headers["contentTypeNosniff"] is True
    secure = by_kind(objects, "IngressRoute", "odoo")["spec"]
    assert secure["entryPoints"] == ["websecure"]
    assert secure["tls"] == {"certResolver": "le", "domains": [{"main": "erp.bakery.example",
                                                                "sans": ["www.bakery.example"]}]}
    hosts = "(Host(`erp.bakery.example`) || Host(`www.bakery.example`))"
    routes = {r["match"]: r for r in secure["routes"]}
    db = routes[f"{hosts} && PathPrefix(`/web/database`)"]
    assert [m["name"] for m in db["middlewares"]] == ["odoo-security-headers", "odoo-deny-all"]
    assert db["services"] == [{"name": "noop@internal", "kind": "TraefikService"}]
    login = routes[f"{hosts} && Method(`POST`) && (Path(`/web/login`) || Path(`/web/session/authenticate`))"]
    assert "odoo-login-ratelimit" in [m["name"] for m in login["middlewares"]]
    ws = routes[f"{hosts} && Path(`/websocket`)"]
    assert ws["services"] == [{"name": "odoo", "port": "websocket"}]
    assert routes[hosts]["services"] == [{"name": "odoo", "port": "http"}]
    assert sorted(r["priority"] for r in secure["routes"]) == [10, 20, 30, 40]
    redirect = by_kind(objects, "IngressRoute", "odoo-http")["spec"]
    assert redirect["entryPoints"] == ["web"]
    assert [m["name"] for m in redirect["routes"][0]["middlewares"]] == ["odoo-redirect-https"]
    svc = by_kind(objects, "Service", "odoo")["spec"]
    assert [(p["name"], p["port"]) for p in svc["ports"]] == [("http", 8069), ("websocket", 8072)]


def test_pdb_hpa_backup():
    objects = T.tenant_objects(base_spec())
    assert not [o for o in objects if o["kind"] == "HorizontalPodAutoscaler"]
    pdb = by_kind(objects, "PodDisruptionBudget", T.WEB)["spec"]
    assert pdb["maxUnavailable"] == 1
    backup = by_kind(objects, "CronJob", "odoo-backup")["spec"]
    assert backup["suspend"] is True and backup["concurrencyPolicy"] == "Forbid"
    assert backup["schedule"] == "0 3 * * *"
    assert backup["jobTemplate"]["spec"]["activeDeadlineSeconds"] > 0
    objects = T.tenant_objects(redis_spec(replicas=2, autoscaling={"enabled": True, "max_replicas": 4}))
    hpa = by_kind(objects, "HorizontalPodAutoscaler", T.WEB)["spec"]
    assert hpa["minReplicas"] == 2 and hpa["maxReplicas"] == 4
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "odoo-web"}
    assert hpa["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 75}
    # The HPA owns the count: the applied Deployment leaves replicas out.
    assert "replicas" not in by_kind(objects, "Deployment", T.WEB)["spec"]


# --- refusals ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("overrides", "message"), [
    ({"replicas": 2}, r"replicas: 2 needs sessions shared .* filestore.access_mode: ReadWriteMany"),
    ({"replicas": 2}, r"replicas: 2 needs a filestore shared"),
    ({"size": "m"}, r"replicas: 2 \(the web_replicas of size m; set replicas: 1"),
    ({"autoscaling": {"enabled": True, "max_replicas": 3}}, r"autoscaling.enabled: true needs sessions shared"),
    ({"replicas": 2, "filestore": {"access_mode": "ReadWriteMany"}}, r"ReadWriteMany needs filestore.storage_class"),
    ({"replicas": 2, "sessions": "redis"}, r"sessions: 'redis' needs the redis endpoint"),
    ({"secrets": {}}, r"secrets: missing secrets.db_password, secrets.master_password \(or master_password_hash\)"),
    ({"secrets": {"db_password": "x", "master_password_hash": "plain"}}, r"secrets.master_password_hash: not a"),
    ({"existing_secret": "vault"}, r"give one secret source, not both"),
    ({"name": "Bakery_1"}, r"name: 'Bakery_1' is not a DNS-1123 label"),
    ({"size": "xl"}, r"size: 'xl' is not one of xs, s, m, l"),
    ({"odoo_version": "15.0"}, r"odoo_version: '15.0'"),
    ({"domains": []}, r"domains: give at least one domain"),
    ({"domains": ["Bad_Domain"]}, r"domains: 'Bad_Domain'"),
    ({"database": {"hosts": ["db.example"]}}, r"database.hosts: 'db.example' is not an IP address"),
    ({"database": {"hosts": ["10.0.0.1"], "prot": 1}}, r"database: unknown key\(s\) prot"),
    ({"filestore": {"access_mode": "ReadOnlyMany"}}, r"filestore.access_mode"),
    ({"sise": "xs"}, r"unknown field\(s\) sise"),
])
def test_refusals_name_the_field(overrides, message):
    with pytest.raises(T.TenantError, match=message):
        T.tenant_objects(base_spec(**overrides))


def test_refusal_never_shows_a_secret():
    with pytest.raises(T.TenantError) as exc:
        T.tenant_objects(base_spec(replicas=2, secrets={"db_password": "pw\nx", "master_password_hash": "S3nt1nel"}))
    assert "S3nt1nel" not in str(exc.value) and "pw\nx" not in str(exc.value)


def test_replicas_with_rwx_or_stores_are_accepted():
    T.tenant_objects(base_spec(replicas=3, filestore={"storage_class": "nfs", "access_mode": "ReadWriteMany"}))
    T.tenant_objects(redis_spec(replicas=3))
    T.tenant_objects(redis_spec(autoscaling={"enabled": True, "max_replicas": 5}))


# --- labels and determinism -----------------------------------------------------------------------------

def test_common_labels_on_every_object():
    for spec in (base_spec(), redis_spec(replicas=2, autoscaling={"enabled": True, "max_replicas": 3})):
        for obj in T.tenant_objects(spec):
            labels = obj["metadata"]["labels"]
            assert labels["app.kubernetes.io/managed-by"] == "odoo_cloud.platform", T.object_id(obj)
            assert labels["odoo-cloud.io/tenant"] == "bakery", T.object_id(obj)
    assert T.selector(T.normalize(base_spec())) == "app.kubernetes.io/managed-by=odoo_cloud.platform,odoo-cloud.io/tenant=bakery"


def test_two_tenants_share_no_object_or_selector():
    a = T.tenant_objects(base_spec())
    b = T.tenant_objects(base_spec(name="studio", domains=["erp.studio.example"]))
    assert not {T.object_id(o) for o in a} & {T.object_id(o) for o in b}
    for obj in b:
        assert obj["metadata"]["labels"]["odoo-cloud.io/tenant"] == "studio"


def test_deterministic_yaml():
    spec = redis_spec(replicas=2)
    first = [T.to_yaml(o) for o in T.tenant_objects(spec)]
    again = [T.to_yaml(o) for o in T.tenant_objects(copy.deepcopy(spec))]
    assert first == again
    # Same spec, keys given in another order: same bytes.
    shuffled = dict(reversed(list(copy.deepcopy(spec).items())))
    assert [T.to_yaml(o) for o in T.tenant_objects(shuffled)] == first
    for text, obj in zip(first, T.tenant_objects(spec)):
        assert yaml.safe_load(text) == obj
        assert "&id" not in text and "*id" not in text


def test_spec_is_not_modified():
    spec = redis_spec()
    before = copy.deepcopy(spec)
    T.tenant_objects(spec)
    assert spec == before


def test_kustomization():
    text = T.kustomization(["00-namespace-odoo-bakery.yaml", "01-resourcequota-odoo-quota.yaml"])
    assert yaml.safe_load(text) == {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                                    "resources": ["00-namespace-odoo-bakery.yaml", "01-resourcequota-odoo-quota.yaml"]}

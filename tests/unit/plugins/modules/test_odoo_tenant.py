# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the odoo_tenant module against an in-memory stand-in of the Kubernetes API."""

from __future__ import annotations

import base64
import copy
import json
import os

import pytest
import yaml
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic.exceptions import ConflictError, NotFoundError

from ansible.module_utils.testing import patch_module_args
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _tenant_objects as T
from ansible_collections.odoo_cloud.platform.plugins.modules import odoo_tenant

DB_PW = "S3nt1nel-db-pw"
MASTER = "$pbkdf2-sha512$600000$c2FsdHNhbHQ$Y2hlY2tzdW1jaGVja3N1bQ"


class Answer:
    def __init__(self, obj):
        self.obj = obj

    def to_dict(self):
        return copy.deepcopy(self.obj)


class FakeApi:
    """Objects by API path; server-side apply replaces the applied content and bumps resourceVersion on change."""

    def __init__(self):
        self.objects = {}
        self.calls = []
        self.version = 100
        self.conflict_on = None
        self.statuses = {}

    @staticmethod
    def _not_found():
        return NotFoundError(ApiException(status=404, reason="Not Found"))

    def _namespace_of(self, path):
        parts = path.split("/")
        if "namespaces" not in parts or len(parts) <= parts.index("namespaces") + 2:
            return None  # a namespace itself, or cluster-scoped
        return parts[parts.index("namespaces") + 1]

    def request(self, method, path, body=None, **params):
        self.calls.append((method, path, body, params))
        if method == "GET":
            if path in self.objects:
                obj = copy.deepcopy(self.objects[path])
                if obj["kind"] == "Deployment":
                    obj["status"] = self.statuses.get(obj["metadata"]["name"], {})
                return Answer(obj)
            items = [o for p, o in sorted(self.objects.items()) if p.rsplit("/", 1)[0] == path]
            if path.endswith("/persistentvolumeclaims"):
                return Answer({"items": items})
            raise self._not_found()
        if method == "PATCH":
            assert params["content_type"] == "application/apply-patch+yaml"
            if self.conflict_on and self.conflict_on in path and not params.get("force_conflicts"):
                raise ConflictError(ApiException(status=409, reason="Conflict"))
            ns = self._namespace_of(path)
            if ns is not None and f"/api/v1/namespaces/{ns}" not in self.objects:
                raise self._not_found()
            applied = yaml.safe_load(body)
            live = self.objects.get(path)
            new = copy.deepcopy(applied)
            if live is not None and odoo_tenant.comparable(live) == odoo_tenant.comparable(new):
                return Answer(live)
            self.version += 1
            new["metadata"]["resourceVersion"] = str(self.version)
            new["metadata"]["uid"] = live["metadata"]["uid"] if live else f"uid-{self.version}"
            new["metadata"]["managedFields"] = [{"manager": params["field_manager"], "operation": "Apply"}]
            if new["kind"] == "Deployment":
                new["metadata"]["generation"] = (live or {}).get("metadata", {}).get("generation", 0) + 1
            if params.get("dry_run") != "All":
                self.objects[path] = new
            return Answer(new)
        if method == "DELETE":
            if path not in self.objects:
                raise self._not_found()
            if params.get("dry_run") != "All":
                ns = path.rsplit("/", 1)[1]
                for p in list(self.objects):
                    if p == path or f"/namespaces/{ns}/" in p:
                        del self.objects[p]
            return Answer({"kind": "Status"})
        raise AssertionError(method)

    def patches(self):
        return [c for c in self.calls if c[0] == "PATCH"]


@pytest.fixture
def api(monkeypatch):
    fake = FakeApi()
    monkeypatch.setattr(odoo_tenant, "kubernetes_client", lambda module: fake)
    monkeypatch.setattr(odoo_tenant, "POLL_SECONDS", 0)
    return fake


def tenant_args(**overrides):
    args = {
        "name": "bakery",
        "size": "xs",
        "odoo_version": "17.0",
        "domains": ["erp.bakery.example"],
        "database": {"hosts": ["10.30.0.41", "10.30.0.42"], "name": "bakery_prod"},
        "secrets": {"db_password": DB_PW, "master_password_hash": MASTER},
        "_ansible_diff": True,
    }
    args.update(overrides)
    return {k: v for k, v in args.items() if v is not None}  # as a task that leaves the option out


def run(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            odoo_tenant.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    return exc.value.code, result, out


def test_apply_creates_every_object(capsys, api):
    code, result, out = run(capsys, tenant_args())
    assert code == 0, result
    assert result["changed"] is True
    assert result["namespace"] == "odoo-bakery"
    assert {o["status"] for o in result["objects"]} == {"created"}
    assert len(result["objects"]) == len(api.patches()) == 22
    assert result["changed_objects"][0] == "Namespace/odoo-bakery"
    for method, path, body, params in api.patches():
        assert params["field_manager"] == "odoo-cloud-platform"
        assert params["force_conflicts"] is False
        assert "dry_run" not in params
    assert "/apis/traefik.io/v1alpha1/namespaces/odoo-bakery/ingressroutes/odoo" in api.objects
    assert "/apis/apps/v1/namespaces/odoo-bakery/deployments/odoo-web" in api.objects
    assert DB_PW not in out and "S3nt1nel" not in out and MASTER not in out
    secret_diff = [d for d in result["diff"] if d["after_header"] == "Secret/odoo-bakery/odoo-secrets"][0]
    assert "********" in secret_diff["after"]


def test_rerun_changes_nothing(capsys, api):
    run(capsys, tenant_args())
    code, result, dummy = run(capsys, tenant_args())
    assert code == 0
    assert result["changed"] is False
    assert result["changed_objects"] == []
    assert {o["status"] for o in result["objects"]} == {"unchanged"}


def test_change_reports_configured(capsys, api):
    run(capsys, tenant_args())
    code, result, dummy = run(capsys, tenant_args(size="s"))
    assert code == 0 and result["changed"] is True
    changed = set(result["changed_objects"])
    assert "ResourceQuota/odoo-bakery/odoo-quota" in changed
    assert "Deployment/odoo-bakery/odoo-web" in changed
    assert "ServiceAccount/odoo-bakery/odoo" not in changed
    statuses = {o["name"]: o["status"] for o in result["objects"] if o["kind"] == "ResourceQuota"}
    assert statuses == {"odoo-quota": "configured"}


def test_check_mode_on_an_empty_cluster_creates_nothing(capsys, api):
    code, result, dummy = run(capsys, tenant_args(_ansible_check_mode=True))
    assert code == 0 and result["changed"] is True
    assert api.objects == {}
    assert [c[3].get("dry_run") for c in api.patches()] == ["All"]  # the namespace only; the others cannot be dry-run
    assert len(result["changed_objects"]) == 22


def test_check_mode_on_a_converged_tenant(capsys, api):
    run(capsys, tenant_args())
    before = copy.deepcopy(api.objects)
    api.calls.clear()
    code, result, dummy = run(capsys, tenant_args(_ansible_check_mode=True))
    assert code == 0 and result["changed"] is False
    assert {c[3].get("dry_run") for c in api.patches()} == {"All"}
    assert api.objects == before
    code, result, dummy = run(capsys, tenant_args(_ansible_check_mode=True, odoo_options={"log_level": "warn"}))
    assert result["changed"] is True
    assert set(result["changed_objects"]) == {"ConfigMap/odoo-bakery/odoo-config", "Deployment/odoo-bakery/odoo-web",
                                              "Deployment/odoo-bakery/odoo-cron"}
    assert api.objects == before


def test_conflict_names_the_object_and_the_option(capsys, api):
    api.conflict_on = "/configmaps/odoo-config"
    code, result, dummy = run(capsys, tenant_args())
    assert code == 1
    assert "cannot apply ConfigMap/odoo-bakery/odoo-config: 409" in result["msg"]
    assert "force_conflicts: true" in result["msg"]
    code, result, dummy = run(capsys, tenant_args(force_conflicts=True))
    assert code == 0, result


def test_refusal_applies_nothing(capsys, api):
    code, result, out = run(capsys, tenant_args(replicas=2))
    assert code == 1
    assert "replicas: 2 needs sessions shared by the web pods" in result["msg"]
    assert api.calls == []
    code, result, out = run(capsys, tenant_args(secrets=None))
    assert code == 1 and "secrets: missing secrets.db_password" in result["msg"]
    code, result, out = run(capsys, tenant_args(secrets={"db_password": DB_PW, "master_password_hash": "S3nt1nel"}))
    assert code == 1 and "not a $pbkdf2-sha512$ hash" in result["msg"]
    assert "S3nt1nel" not in out.replace("********", "")
    assert api.calls == []


def test_namespace_of_another_tenant_is_refused(capsys, api):
    run(capsys, tenant_args(name="studio", namespace="shared-ns", domains=["erp.studio.example"]))
    code, result, dummy = run(capsys, tenant_args(namespace="shared-ns"))
    assert code == 1 and "belongs to tenant 'studio'" in result["msg"]


def test_wait_for_rollout(capsys, api):
    api.statuses = {name: {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}
                    for name in ("odoo-web", "odoo-cron")}
    code, result, dummy = run(capsys, tenant_args(wait=True))
    assert code == 0, result
    assert result["rollout"] == {"odoo-web": {"ready": 1, "wanted": 1}, "odoo-cron": {"ready": 1, "wanted": 1}}


def test_wait_is_bounded(capsys, api):
    api.statuses = {"odoo-web": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 0},
                    "odoo-cron": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}}
    code, result, dummy = run(capsys, tenant_args(wait=True, wait_timeout=0))
    assert code == 1
    assert "not done after 0 s: odoo-web (0/1 available, 1 updated)" in result["msg"]


def test_absent_removes_exactly_the_tenant(capsys, api):
    run(capsys, tenant_args())
    run(capsys, tenant_args(name="studio", domains=["erp.studio.example"]))
    code, result, dummy = run(capsys, {"name": "bakery", "state": "absent"})
    assert code == 1 and "odoo-filestore" in result["msg"] and "force: true" in result["msg"]
    assert "/api/v1/namespaces/odoo-bakery" in api.objects
    code, result, dummy = run(capsys, {"name": "bakery", "state": "absent", "force": True, "_ansible_check_mode": True})
    assert code == 0 and result["changed"] is True
    assert "/api/v1/namespaces/odoo-bakery" in api.objects
    code, result, dummy = run(capsys, {"name": "bakery", "state": "absent", "force": True, "wait": True})
    assert code == 0 and result["changed"] is True
    assert not [p for p in api.objects if "odoo-bakery" in p]
    assert len([p for p in api.objects if "odoo-studio" in p]) == 22
    code, result, dummy = run(capsys, {"name": "bakery", "state": "absent"})
    assert code == 0 and result["changed"] is False
    assert result["objects"] == [{"kind": "Namespace", "name": "odoo-bakery", "namespace": None, "status": "absent"}]


def test_absent_refuses_a_namespace_that_is_not_the_tenants(capsys, api):
    api.objects["/api/v1/namespaces/odoo-bakery"] = {"apiVersion": "v1", "kind": "Namespace",
                                                     "metadata": {"name": "odoo-bakery", "labels": {}}}
    code, result, dummy = run(capsys, {"name": "bakery", "state": "absent", "force": True})
    assert code == 1 and "is not tenant 'bakery''s" in result["msg"]
    assert "/api/v1/namespaces/odoo-bakery" in api.objects


def test_render_dir_is_byte_identical_to_apply(capsys, api, tmp_path):
    code, result, dummy = run(capsys, tenant_args(render_dir=str(tmp_path), render_secrets=True))
    assert code == 0 and result["changed"] is True
    assert api.calls == []
    directory = tmp_path / "bakery"
    files = sorted(os.listdir(directory))
    assert files[-1] == "kustomization.yaml" and len(files) == 23
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    assert kustomization["resources"] == files[:-1]
    assert oct((directory / "08-secret-odoo-secrets.yaml").stat().st_mode & 0o777) == "0o600"
    run(capsys, tenant_args())
    bodies = [c[2] for c in api.patches()]
    assert bodies == [(directory / name).read_text() for name in kustomization["resources"]]
    code, result, dummy = run(capsys, tenant_args(render_dir=str(tmp_path), render_secrets=True))
    assert result["changed"] is False


def test_rendered_files_applied_then_module_sees_no_change(capsys, api, tmp_path):
    """The GitOps round trip: a tool applies the rendered files; the module then has nothing to do."""
    run(capsys, tenant_args(render_dir=str(tmp_path), render_secrets=True))
    directory = tmp_path / "bakery"
    for name in yaml.safe_load((directory / "kustomization.yaml").read_text())["resources"]:
        text = (directory / name).read_text()
        obj = yaml.safe_load(text)
        api.request("PATCH", odoo_tenant.object_path(obj), body=text, content_type="application/apply-patch+yaml",
                    field_manager="odoo-cloud-platform", force_conflicts=False)
    code, result, dummy = run(capsys, tenant_args())
    assert code == 0 and result["changed"] is False


def test_render_dir_without_secrets_and_check_mode(capsys, api, tmp_path):
    args = tenant_args(render_dir=str(tmp_path), secrets=None, existing_secret="bakery-vault")
    code, result, dummy = run(capsys, dict(args, _ansible_check_mode=True))
    assert code == 0 and result["changed"] is True and not (tmp_path / "bakery").exists()
    code, result, dummy = run(capsys, args)
    assert code == 0
    assert not [f for f in os.listdir(tmp_path / "bakery") if "secret" in f]
    (tmp_path / "bakery" / "99-stale.yaml").write_text("kind: ConfigMap\n")
    code, result, dummy = run(capsys, args)
    assert result["changed"] is True and not (tmp_path / "bakery" / "99-stale.yaml").exists()
    code, result, dummy = run(capsys, tenant_args(render_dir=str(tmp_path), secrets=None))
    assert code == 0
    assert {o["status"] for o in result["objects"] if o["kind"] == "Secret"} == {"skipped"}


def test_secret_values_never_in_output(capsys, api):
    code, result, out = run(capsys, tenant_args(secrets={"db_password": DB_PW, "master_password_hash": MASTER,
                                                         "admin_password_hash": MASTER}))
    assert code == 0
    for value in (DB_PW, MASTER, base64.b64encode(DB_PW.encode()).decode(), base64.b64encode(MASTER.encode()).decode()):
        assert value not in out


def test_object_paths():
    objects = T.tenant_objects({"name": "bakery", "size": "xs", "odoo_version": "17.0", "domains": ["a.example"],
                                "database": {"hosts": ["10.0.0.1"]},
                                "secrets": {"db_password": "x", "master_password_hash": MASTER}})
    paths = {o["kind"]: odoo_tenant.object_path(o) for o in objects}
    assert paths["Namespace"] == "/api/v1/namespaces/odoo-bakery"
    assert paths["Deployment"].startswith("/apis/apps/v1/namespaces/odoo-bakery/deployments/")
    assert paths["NetworkPolicy"].startswith("/apis/networking.k8s.io/v1/namespaces/odoo-bakery/networkpolicies/")
    assert paths["IngressRoute"].startswith("/apis/traefik.io/v1alpha1/namespaces/odoo-bakery/ingressroutes/")
    assert paths["CronJob"] == "/apis/batch/v1/namespaces/odoo-bakery/cronjobs/odoo-backup"
    assert set(paths) <= set(odoo_tenant.PLURALS)


def test_unreachable_api_fails_with_a_message(capsys, api, monkeypatch):
    from urllib3.exceptions import MaxRetryError

    def refuse(method, path, body=None, **params):
        assert params["_request_timeout"] == odoo_tenant.REQUEST_TIMEOUT
        raise MaxRetryError(None, path, "Connection refused")

    monkeypatch.setattr(api, "request", refuse)
    code, result, out = run(capsys, tenant_args())
    assert code == 1
    assert result["msg"].startswith("cannot reach the Kubernetes API (GET /api/v1/namespaces/odoo-bakery)")
    assert "Traceback" not in out


# --- plain passwords: hashed with a random salt, the current hash kept while it matches ---------------

MASTER_PW = "M4ster-pw of the tenant"
ADMIN_PW = "Adm1n-pw of the tenant"


@pytest.fixture
def fast_hashes(monkeypatch):
    from ansible_collections.odoo_cloud.platform.plugins.module_utils import _odoo_password as pw
    monkeypatch.setattr(pw, "ROUNDS", 1000)
    monkeypatch.setattr(pw.keep_or_make, "__defaults__", (1000, ()))
    return pw


def plain_args(**overrides):
    secrets = {"db_password": DB_PW, "master_password": MASTER_PW, "admin_password": ADMIN_PW}
    return tenant_args(secrets=overrides.pop("secrets", secrets), **overrides)


def stored_hashes(api, namespace="odoo-bakery"):
    return T.secret_data(api.objects[f"/api/v1/namespaces/{namespace}/secrets/odoo-secrets"])


def test_plain_passwords_are_hashed_and_kept_on_rerun(capsys, api, fast_hashes):
    code, result, out = run(capsys, plain_args())
    assert code == 0, result
    first = stored_hashes(api)
    assert fast_hashes.verify(MASTER_PW, first["master-password-hash"])
    assert fast_hashes.verify(ADMIN_PW, first["admin-password-hash"])
    assert MASTER_PW not in out and ADMIN_PW not in out and first["master-password-hash"] not in out
    code, result, dummy = run(capsys, plain_args())
    assert code == 0 and result["changed"] is False
    assert stored_hashes(api) == first
    code, result, dummy = run(capsys, plain_args(_ansible_check_mode=True))
    assert code == 0 and result["changed"] is False


def test_same_password_gives_different_hashes_per_tenant(capsys, api, fast_hashes):
    run(capsys, plain_args())
    run(capsys, plain_args(name="bakery-staging", environment="staging", domains=["staging.bakery.example"]))
    one, two = stored_hashes(api), stored_hashes(api, "odoo-bakery-staging")
    assert one["master-password-hash"] != two["master-password-hash"]
    assert one["admin-password-hash"] != two["admin-password-hash"]
    salts = {fast_hashes.hash_salt(h) for h in (*one.values(), *two.values()) if fast_hashes.is_hash(h)}
    assert len(salts) == 4 and all(len(s) == fast_hashes.SALT_BYTES for s in salts)


def test_changed_password_gives_a_new_hash(capsys, api, fast_hashes):
    run(capsys, plain_args())
    first = stored_hashes(api)
    code, result, dummy = run(capsys, plain_args(secrets={"db_password": DB_PW, "master_password": "An0ther master pw",
                                                          "admin_password": ADMIN_PW}))
    assert code == 0 and "Secret/odoo-bakery/odoo-secrets" in result["changed_objects"]
    now = stored_hashes(api)
    assert fast_hashes.verify("An0ther master pw", now["master-password-hash"])
    assert now["admin-password-hash"] == first["admin-password-hash"]


def test_hash_with_the_old_fixed_salt_is_replaced(capsys, api, fast_hashes):
    legacy = fast_hashes.make_hash(MASTER_PW, 1000, b"odoo-cloud/bakery/master")
    run(capsys, tenant_args(secrets={"db_password": DB_PW, "master_password_hash": legacy}))
    code, result, dummy = run(capsys, plain_args())
    assert code == 0 and "Secret/odoo-bakery/odoo-secrets" in result["changed_objects"]
    now = stored_hashes(api)["master-password-hash"]
    assert now != legacy and fast_hashes.verify(MASTER_PW, now)


def test_password_and_its_hash_are_refused_together(capsys, api, fast_hashes):
    code, result, out = run(capsys, plain_args(secrets={"db_password": DB_PW, "master_password": MASTER_PW,
                                                        "master_password_hash": MASTER}))
    assert code == 1
    assert "secrets.master_password and secrets.master_password_hash" in result["msg"]
    assert api.patches() == [] and MASTER_PW not in out


def test_missing_master_password_names_both_fields(capsys, api):
    code, result, dummy = run(capsys, tenant_args(secrets={"db_password": DB_PW}))
    assert code == 1 and "secrets.master_password (or master_password_hash)" in result["msg"]


def test_render_keeps_the_rendered_hash(capsys, api, tmp_path, fast_hashes):
    run(capsys, plain_args(render_dir=str(tmp_path), render_secrets=True))
    secret_file = tmp_path / "bakery" / "08-secret-odoo-secrets.yaml"
    first = secret_file.read_text()
    code, result, dummy = run(capsys, plain_args(render_dir=str(tmp_path), render_secrets=True))
    assert code == 0 and result["changed"] is False and secret_file.read_text() == first
    assert fast_hashes.verify(MASTER_PW, T.secret_data(yaml.safe_load(first))["master-password-hash"])


def test_render_without_secrets_computes_no_hash(capsys, api, tmp_path, monkeypatch, fast_hashes):
    def refuse(*args, **kwargs):
        raise AssertionError("a hash was computed for a Secret that is not written")
    monkeypatch.setattr(fast_hashes, "make_hash", refuse)
    monkeypatch.setattr(fast_hashes, "verify", refuse)
    code, result, dummy = run(capsys, plain_args(render_dir=str(tmp_path)))
    assert code == 0, result
    assert {o["status"] for o in result["objects"] if o["kind"] == "Secret"} == {"skipped"}

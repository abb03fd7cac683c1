# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of odoo_backup_prune against a directory and an in-memory versioned, object-locked bucket."""

from __future__ import annotations

import datetime
import json
import os
import time

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.odoo_cloud.platform.plugins.module_utils import _backup_store as stores
from ansible_collections.odoo_cloud.platform.plugins.modules import odoo_backup_prune

DAY = 86400
UTC = datetime.timezone.utc
S3_SECRET = "S3nt1nel-s3-secret"


def run_module(capsys, args):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            odoo_backup_prune.main()
    out = capsys.readouterr().out
    return exc.value.code, json.loads(out), out


def archive(root, name, age_days, data=b"zip"):
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    stamp = time.time() - age_days * DAY
    os.utime(path, (stamp, stamp))
    return path


@pytest.fixture
def directory(tmp_path):
    root = tmp_path / "backups"
    archive(root, "acme/acme-1.zip", 30)
    archive(root, "acme/acme-2.zip", 20)
    archive(root, "acme/acme-3.zip", 10)
    archive(root, "acme/acme-4.zip", 1)
    archive(root, "acme/notes.txt", 99)
    archive(root, "acme-staging/acme-staging-1.zip", 99)
    archive(root, "other/other-1.zip", 99)
    return root


def names(items):
    return [i["name"] for i in items]


def test_removes_only_the_expired_archives_under_the_prefix(capsys, directory):
    code, out, dummy = run_module(capsys, {"prefix": "acme/", "keep_days": 14, "store_path": str(directory)})
    assert code == 0, out
    assert out["changed"] is True
    assert names(out["removed"]) == ["acme/acme-1.zip", "acme/acme-2.zip"]
    kept = [(k["name"], k["reason"]) for k in out["kept"]]
    assert kept == [("acme/acme-4.zip", "newest"), ("acme/acme-3.zip", "not expired")]
    assert out["removed_bytes"] == 6
    left = sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())
    assert left == ["acme-staging/acme-staging-1.zip", "acme/acme-3.zip", "acme/acme-4.zip", "acme/notes.txt",
                    "other/other-1.zip"]
    code, out, dummy = run_module(capsys, {"prefix": "acme/", "keep_days": 14, "store_path": str(directory)})
    assert code == 0 and out["changed"] is False and out["removed"] == []


def test_check_mode_removes_nothing(capsys, directory):
    code, out, dummy = run_module(capsys, {"prefix": "acme/", "keep_days": 14, "store_path": str(directory),
                                           "_ansible_check_mode": True})
    assert code == 0 and out["changed"] is True and len(out["removed"]) == 2
    assert (directory / "acme/acme-1.zip").exists() and (directory / "acme/acme-2.zip").exists()


def test_the_newest_are_kept_whatever_their_age(capsys, directory):
    code, out, dummy = run_module(capsys, {"prefix": "acme-staging/", "keep_days": 0, "store_path": str(directory)})
    assert code == 0 and out["changed"] is False
    assert [(k["name"], k["reason"]) for k in out["kept"]] == [("acme-staging/acme-staging-1.zip", "newest")]
    code, out, dummy = run_module(capsys, {"prefix": "acme/", "keep_days": 0, "keep_last": 3,
                                           "store_path": str(directory)})
    assert names(out["removed"]) == ["acme/acme-1.zip"]


@pytest.mark.parametrize(("args", "message"), [
    ({"prefix": ""}, "prefix is empty"),
    ({"prefix": "  "}, "prefix is empty"),
    ({"keep_days": -1}, "keep_days must be 0 or more"),
    ({"keep_last": 0}, "keep_last must be at least 1"),
])
def test_refusals_name_the_field_and_remove_nothing(capsys, directory, args, message):
    code, out, dummy = run_module(capsys, {"prefix": "acme/", "keep_days": 0, "store_path": str(directory), **args})
    assert code == 1 and message in out["msg"]
    assert len(list(directory.rglob("*.zip"))) == 6


class FakeVersionedS3:
    """list_object_versions, get_object_retention and delete_object of a versioned bucket with object lock."""

    def __init__(self, now):
        self.now = now
        self.versions = []  # dicts: Key, VersionId, LastModified, Size, until
        self.deleted = []

    def add(self, key, age_days, locked_days=None):
        until = None if locked_days is None else self.now + datetime.timedelta(days=locked_days)
        self.versions.append({"Key": key, "VersionId": f"v{len(self.versions)}", "Size": 100,
                              "LastModified": self.now - datetime.timedelta(days=age_days), "until": until})

    def get_paginator(self, name):
        assert name == "list_object_versions"
        client = self

        class Paginator:
            def paginate(self, Bucket, Prefix):
                items = [{k: v for k, v in item.items() if k != "until"} for item in client.versions
                         if item["Key"].startswith(Prefix)]
                yield {"Versions": items[:2], "DeleteMarkers": [{"Key": "x", "VersionId": "m"}]}
                yield {"Versions": items[2:]}

        return Paginator()

    def get_object_retention(self, Bucket, Key, VersionId):
        item = next(i for i in self.versions if i["VersionId"] == VersionId)
        if item["until"] is None:
            error = Exception("An error occurred (NoSuchObjectLockConfiguration) when calling GetObjectRetention")
            error.response = {"Error": {"Code": "NoSuchObjectLockConfiguration"}}
            raise error
        return {"Retention": {"Mode": "COMPLIANCE", "RetainUntilDate": item["until"]}}

    def delete_object(self, Bucket, Key, VersionId):
        item = next(i for i in self.versions if i["VersionId"] == VersionId)
        if item["until"] is not None and item["until"] > self.now:
            raise Exception("An error occurred (AccessDenied) when calling DeleteObject: object protected by object lock")
        self.versions.remove(item)
        self.deleted.append((Key, VersionId))


def s3_args(**overrides):
    args = {"prefix": "acme/", "keep_days": 7, "store_type": "s3", "s3_bucket": "lab-backups",
            "s3_access_key": "AKIAS3NT1NELTESTKEY", "s3_secret_key": S3_SECRET}
    args.update(overrides)
    return args


def test_s3_keeps_locked_versions_and_deletes_expired_ones_by_version(capsys, monkeypatch):
    s3 = FakeVersionedS3(datetime.datetime.now(UTC))
    s3.add("acme/acme-1.zip", 40)                   # expired, no lock
    s3.add("acme/acme-2.zip", 30, locked_days=-1)   # expired, lock passed
    s3.add("acme/acme-3.zip", 20, locked_days=5)    # expired but still locked
    s3.add("acme/acme-4.zip", 1, locked_days=29)    # newest
    s3.add("acme/readme.txt", 90)
    monkeypatch.setattr(stores, "make_s3_client", lambda params: s3)
    code, out, raw = run_module(capsys, s3_args())
    assert code == 0, out
    assert s3.deleted == [("acme/acme-1.zip", "v0"), ("acme/acme-2.zip", "v1")]
    assert [(i["name"], i["version"]) for i in out["removed"]] == [("acme/acme-1.zip", "v0"), ("acme/acme-2.zip", "v1")]
    reasons = {k["name"]: k["reason"] for k in out["kept"]}
    assert reasons["acme/acme-4.zip"] == "newest"
    assert reasons["acme/acme-3.zip"].startswith("locked until ")
    assert out["removed"][0]["location"] == "s3://lab-backups/acme/acme-1.zip"
    assert S3_SECRET not in raw
    code, out, dummy = run_module(capsys, s3_args())
    assert code == 0 and out["changed"] is False


def test_s3_error_reading_a_retention_stops_before_any_delete(capsys, monkeypatch):
    s3 = FakeVersionedS3(datetime.datetime.now(UTC))
    s3.add("acme/acme-1.zip", 40)
    s3.add("acme/acme-2.zip", 30)
    s3.add("acme/acme-3.zip", 1)

    def broken(Bucket, Key, VersionId):
        error = Exception("An error occurred (AccessDenied) when calling the GetObjectRetention operation")
        error.response = {"Error": {"Code": "AccessDenied"}}
        raise error

    s3.get_object_retention = broken
    monkeypatch.setattr(stores, "make_s3_client", lambda params: s3)
    code, out, dummy = run_module(capsys, s3_args())
    assert code == 1 and "reading the retention of s3://lab-backups/acme/acme-2.zip" in out["msg"]
    assert s3.deleted == []

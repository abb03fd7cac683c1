# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this doc fragment is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

from __future__ import annotations


class ModuleDocFragment:

    # Where Odoo backup archives are kept (module_utils/_backup_store.py backup_store_argument_spec() is the matching spec).
    DOCUMENTATION = r"""
options:
  store_type:
    description:
      - Where the archives are kept. V(path) is a directory on the host where the module runs (a mounted
        volume, an NFS share); V(s3) is a bucket of an S3-compatible object store, reached with boto3.
    type: str
    default: path
    choices: [path, s3]
  store_path:
    description:
      - The directory under which archive names are resolved, with O(store_type=path).
    type: path
  s3_bucket:
    description:
      - The bucket, with O(store_type=s3). Required then.
    type: str
  s3_endpoint_url:
    description:
      - URL of an S3-compatible store (for example V(https://10.77.0.50:9000)); AWS's endpoint when not set.
    type: str
  s3_region:
    description:
      - The region of the bucket (for example V(us-east-1)).
    type: str
  s3_path_style:
    description:
      - Address the bucket in the path (V(https://host/bucket/key)) instead of the host name. Most
        self-hosted stores (MinIO, versitygw, Ceph RGW without wildcard DNS) need V(true).
    type: bool
    default: false
  s3_ca_bundle:
    description:
      - A PEM file of the certificate authorities that sign the store's certificate, for a private CA.
    type: path
  s3_access_key:
    description:
      - Access key ID. When not set, boto3 looks for credentials as usual (environment, instance profile).
    type: str
  s3_secret_key:
    description:
      - Secret access key, never returned or logged.
    type: str
  s3_session_token:
    description:
      - Session token of temporary credentials.
    type: str
  work_dir:
    description:
      - Directory for the temporary copy of an S3 archive. ZIP archives are read from their end (the
        central directory), so an archive in S3 is downloaded whole into a temporary file here before it
        is read, and that file is removed afterwards. It needs the archive's size free.
      - The system's temporary directory when not set (often a small C(tmpfs); give a directory on a disk).
    type: path
notes:
  - Archives are written as a stream and never held in memory or staged on disk whole. For O(store_type=path)
    a temporary file (mode 0600, name starting with a dot) is written in the target directory, then renamed
    to the archive's name. For O(store_type=s3), a multipart upload of 32 MiB parts (4 in flight) reads from
    a bounded in-memory queue, so an archive can be up to about 300 GiB (10,000 parts) with about 200 MiB of
    memory; a failed backup aborts the upload and leaves no object.
  - An existing archive is never overwritten.
requirements:
  - boto3 (for O(store_type=s3))
"""

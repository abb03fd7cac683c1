# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Where backup archives go: a local directory or an S3 bucket (doc fragment _backup_store).

Archives are written as a stream: the writer gets a file object without seek or tell (zipfile then uses
data descriptors), which is a temporary file renamed into place for a directory and a bounded queue read
by boto3's multipart upload for S3. Reading needs a seekable file (zipfile reads the central directory
at the end), so an S3 archive is downloaded to a temporary file first.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
import queue
import tempfile
import threading
import traceback
import typing as t

try:
    import boto3
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config as BotoConfig
except ImportError:
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None

QUEUE_CHUNK = 1024 * 1024
QUEUE_DEPTH = 8
# boto3 reads a non-seekable stream part by part: memory is about part size x (concurrency + 1).
PART_SIZE = 32 * 1024 * 1024
PART_CONCURRENCY = 4
ARCHIVE_SUFFIX = ".zip"


class StoreError(Exception):
    """The store refused or failed an operation; the message never holds a credential."""


def backup_store_argument_spec() -> dict[str, t.Any]:
    """The options of doc fragment odoo_cloud.platform._backup_store."""
    return {
        "store_type": {"type": "str", "default": "path", "choices": ["path", "s3"]},
        "store_path": {"type": "path"},
        "s3_bucket": {"type": "str"},
        "s3_endpoint_url": {"type": "str"},
        "s3_region": {"type": "str"},
        "s3_path_style": {"type": "bool", "default": False},
        "s3_ca_bundle": {"type": "path"},
        "s3_access_key": {"type": "str", "no_log": True},
        "s3_secret_key": {"type": "str", "no_log": True},
        "s3_session_token": {"type": "str", "no_log": True},
        "work_dir": {"type": "path"},
    }


STORE_REQUIRED_IF = [("store_type", "s3", ["s3_bucket"])]


def check_key(key: str, field: str) -> str:
    """A relative key without empty, '.' or '..' parts."""
    parts = key.split("/")
    if not key or key.startswith("/") or "\\" in key or any(part in ("", ".", "..") for part in parts):
        raise StoreError(f"{field} must be a relative name like 'db/db-20261201T020000Z.zip' without '.', '..' or "
                         f"empty parts, got {key!r}")
    return key


class HashingWriter:
    """A write-only, unseekable file object that counts and hashes what passes to the one it wraps."""

    def __init__(self, inner: t.Any) -> None:
        self.inner = inner
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        self.inner.write(data)
        return len(data)

    def flush(self) -> None:
        self.inner.flush()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False


class StoredArchive(t.NamedTuple):
    location: str
    key: str
    size: int
    sha256: str
    value: t.Any


class ArchiveEntry(t.NamedTuple):
    """One stored archive (one version of it in a versioned bucket), for retention."""

    name: str
    location: str
    modified: datetime.datetime
    size: int
    version: str | None = None


Writer = t.Callable[[t.BinaryIO], t.Any]


def file_sha256(path: str, chunk_size: int = QUEUE_CHUNK) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(chunk_size)
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# --- a directory --------------------------------------------------------------------------------

class LocalStore:
    def __init__(self, root: str | None) -> None:
        self.root = root

    def _path(self, key: str) -> str:
        if os.path.isabs(key):
            return key
        if not self.root:
            raise StoreError("store_path is required for a relative archive name with store_type=path")
        return os.path.join(self.root, *check_key(key, "the archive name").split("/"))

    def location(self, key: str) -> str:
        return self._path(key)

    def prefix_location(self, prefix: str) -> str:
        """Where names starting with prefix are, for messages (a prefix need not be a valid archive name)."""
        return os.path.join(self.root or "", prefix)

    def exists(self, key: str) -> bool:
        return os.path.exists(self._path(key))

    def write(self, key: str, writer: Writer, lock: dict[str, t.Any] | None = None) -> StoredArchive:
        """Write into a 0600 temporary file next to the archive, then rename it; never replaces a file."""
        if lock:
            raise StoreError("retention_days (object lock) needs store_type=s3")
        final = self._path(key)
        if os.path.exists(final):
            raise StoreError(f"{final} exists already; archives are never overwritten")
        directory = os.path.dirname(final)
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            fd, partial = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(final) + ".", suffix=".partial")
        except OSError as exc:
            raise StoreError(f"cannot write into {directory}: {exc}") from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                sink = HashingWriter(handle)
                value = writer(t.cast(t.BinaryIO, sink))
                handle.flush()
                os.fsync(handle.fileno())
            if os.path.exists(final):
                raise StoreError(f"{final} appeared while the archive was written; it is left alone")
            os.rename(partial, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(partial)
            raise
        return StoredArchive(final, key, sink.size, sink.sha256.hexdigest(), value)

    def latest(self, prefix: str) -> str | None:
        """The newest archive (modification time, then name) whose name relative to the root starts with prefix."""
        if not self.root:
            raise StoreError("store_path is required to look for the latest archive")
        found = self.archives(prefix)
        return max(found, key=lambda e: (e.modified, e.name)).name if found else None

    def archives(self, prefix: str) -> list[ArchiveEntry]:
        """Every archive whose name relative to the root starts with prefix."""
        if not self.root:
            raise StoreError("store_path is required to list archives")
        out = []
        for current, dirs, files in os.walk(self.root):
            dirs[:] = [name for name in dirs if not name.startswith(".")]
            for name in files:
                if name.startswith(".") or not name.endswith(ARCHIVE_SUFFIX):
                    continue
                path = os.path.join(current, name)
                rel = os.path.relpath(path, self.root).replace(os.sep, "/")
                if rel.startswith(prefix):
                    stat = os.stat(path)
                    modified = datetime.datetime.fromtimestamp(stat.st_mtime, datetime.timezone.utc)
                    out.append(ArchiveEntry(rel, path, modified, stat.st_size))
        return out

    def locked_until(self, entry: ArchiveEntry) -> datetime.datetime | None:
        return None  # a directory has no object lock

    def delete(self, entry: ArchiveEntry) -> None:
        try:
            os.remove(entry.location)
        except OSError as exc:
            raise StoreError(f"cannot remove {entry.location}: {exc}") from exc

    @contextlib.contextmanager
    def local_copy(self, key: str, work_dir: str | None) -> t.Iterator[str]:
        path = self._path(key)
        if not os.path.isfile(path):
            raise StoreError(f"{path} does not exist")
        yield path


# --- S3 -----------------------------------------------------------------------------------------

_EOF = object()


class _Aborted(Exception):
    pass


class StreamPipe:
    """A bounded in-memory pipe: a writer thread writes, boto3 reads. At most QUEUE_DEPTH chunks wait."""

    def __init__(self, chunk_size: int = QUEUE_CHUNK, depth: int = QUEUE_DEPTH) -> None:
        self.chunk_size = chunk_size
        self.queue: queue.Queue[t.Any] = queue.Queue(maxsize=depth)
        self.pending = bytearray()
        self.buffer = b""
        self.done = False
        self.aborted = threading.Event()

    # writer side
    def _put(self, item: t.Any) -> None:
        while True:
            if self.aborted.is_set():
                raise _Aborted("the reader stopped")
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def write(self, data: bytes) -> int:
        self.pending += data
        while len(self.pending) >= self.chunk_size:
            self._put(bytes(self.pending[:self.chunk_size]))
            del self.pending[:self.chunk_size]
        return len(data)

    def flush(self) -> None:
        return None

    def close_writer(self, error: BaseException | None = None) -> None:
        if error is None and self.pending:
            self._put(bytes(self.pending))
            self.pending.clear()
        self._put(error if error is not None else _EOF)

    # reader side
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while size < 0 or len(out) < size:
            if not self.buffer:
                if self.done:
                    break
                item = self.queue.get()
                if item is _EOF:
                    self.done = True
                    break
                if isinstance(item, BaseException):
                    self.done = True
                    raise StoreError(f"the archive could not be written: {item}")
                self.buffer = item
            take = len(self.buffer) if size < 0 else min(size - len(out), len(self.buffer))
            out += self.buffer[:take]
            self.buffer = self.buffer[take:]
        return bytes(out)

    def abort(self) -> None:
        self.aborted.set()


def make_s3_client(params: dict[str, t.Any]) -> t.Any:
    """A boto3 S3 client from the fragment's options (the tests replace this function)."""
    if not HAS_BOTO3:
        # No Ansible import here: the odoo_backup role's host program uses this file too.
        raise StoreError("store_type=s3 needs the Python library boto3 on the host that runs the backup "
                         "(Debian: apt install python3-boto3; pip: boto3)")
    config = BotoConfig(s3={"addressing_style": "path" if params["s3_path_style"] else "auto"}, retries={"max_attempts": 5})
    return boto3.session.Session().client(
        "s3",
        endpoint_url=params["s3_endpoint_url"] or None,
        region_name=params["s3_region"] or None,
        aws_access_key_id=params["s3_access_key"] or None,
        aws_secret_access_key=params["s3_secret_key"] or None,
        aws_session_token=params["s3_session_token"] or None,
        verify=params["s3_ca_bundle"] or True,
        config=config,
    )


def _transfer_config() -> t.Any:
    if not HAS_BOTO3:
        return None
    return TransferConfig(multipart_chunksize=PART_SIZE, multipart_threshold=PART_SIZE, max_concurrency=PART_CONCURRENCY)


def object_lock_args(retention_days: int, mode: str, now: datetime.datetime | None = None) -> dict[str, t.Any]:
    """ExtraArgs for an object locked for retention_days (nothing for 0)."""
    if retention_days <= 0:
        return {}
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return {"ObjectLockMode": mode, "ObjectLockRetainUntilDate": now + datetime.timedelta(days=retention_days)}


class S3Store:
    def __init__(self, client: t.Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def prefix_location(self, prefix: str) -> str:
        return self.location(prefix)

    def _call(self, what: str, function: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
        try:
            return function(*args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # botocore's messages name the operation and the error code, never the credentials.
            raise StoreError(f"{what} failed: {exc}") from exc

    def exists(self, key: str) -> bool:
        check_key(key, "the archive name")
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
            if code in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StoreError(f"looking for {self.location(key)} failed: {exc}") from exc
        return True

    def write(self, key: str, writer: Writer, lock: dict[str, t.Any] | None = None) -> StoredArchive:
        """Stream the archive into a multipart upload; a failing writer aborts the upload (no partial object)."""
        check_key(key, "the archive name")
        if self.exists(key):
            raise StoreError(f"{self.location(key)} exists already; archives are never overwritten")
        pipe = StreamPipe()
        sink = HashingWriter(pipe)
        outcome: dict[str, t.Any] = {}

        def produce() -> None:
            try:
                outcome["value"] = writer(t.cast(t.BinaryIO, sink))
                pipe.close_writer()
            except _Aborted:
                pass
            except BaseException as exc:  # pylint: disable=broad-exception-caught
                outcome["error"] = exc
                with contextlib.suppress(_Aborted):
                    pipe.close_writer(exc)

        thread = threading.Thread(target=produce, name="odoo-archive-writer", daemon=True)
        thread.start()
        kwargs: dict[str, t.Any] = {"ExtraArgs": dict(lock or {})}
        config = _transfer_config()
        if config is not None:
            kwargs["Config"] = config
        try:
            self.client.upload_fileobj(pipe, self.bucket, key, **kwargs)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            pipe.abort()
            thread.join()
            if "error" in outcome:
                raise outcome["error"]
            raise StoreError(f"upload to {self.location(key)} failed: {exc}") from exc
        finally:
            pipe.abort()
            thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return StoredArchive(self.location(key), key, sink.size, sink.sha256.hexdigest(), outcome.get("value"))

    def latest(self, prefix: str) -> str | None:
        """The newest object (LastModified, then key) under prefix whose key ends with .zip."""
        best: tuple[t.Any, str] | None = None
        paginator = self._call("listing the bucket", self.client.get_paginator, "list_objects_v2")
        pages = self._call(f"listing s3://{self.bucket}/{prefix}", lambda: list(paginator.paginate(Bucket=self.bucket, Prefix=prefix)))
        for page in pages:
            for item in page.get("Contents", []) or []:
                if not item["Key"].endswith(ARCHIVE_SUFFIX):
                    continue
                candidate = (item["LastModified"], item["Key"])
                best = candidate if best is None or candidate > best else best
        return None if best is None else best[1]

    def archives(self, prefix: str) -> list[ArchiveEntry]:
        """Every version of every .zip object under prefix (a bucket without versioning lists version null)."""
        paginator = self._call("listing the bucket", self.client.get_paginator, "list_object_versions")
        pages = self._call(f"listing the versions under s3://{self.bucket}/{prefix}",
                           lambda: list(paginator.paginate(Bucket=self.bucket, Prefix=prefix)))
        out = []
        for page in pages:
            for item in page.get("Versions", []) or []:
                if item["Key"].endswith(ARCHIVE_SUFFIX):
                    out.append(ArchiveEntry(item["Key"], self.location(item["Key"]), item["LastModified"],
                                            int(item.get("Size") or 0), item.get("VersionId") or "null"))
        return out

    def locked_until(self, entry: ArchiveEntry) -> datetime.datetime | None:
        """The object-lock retain-until date of the version, or None when it has none."""
        try:
            answer = self.client.get_object_retention(Bucket=self.bucket, Key=entry.name, VersionId=entry.version)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
            if code in ("NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError",
                        "NoSuchObjectLockConfigurationError", "InvalidRequest"):
                return None
            raise StoreError(f"reading the retention of {entry.location} (version {entry.version}) failed: {exc}") from exc
        until = (answer.get("Retention") or {}).get("RetainUntilDate")
        if isinstance(until, str):
            until = datetime.datetime.fromisoformat(until.replace("Z", "+00:00"))
        return until

    def delete(self, entry: ArchiveEntry) -> None:
        """Delete that version (not a delete marker over it: the data goes)."""
        self._call(f"deleting {entry.location} (version {entry.version})", self.client.delete_object,
                   Bucket=self.bucket, Key=entry.name, VersionId=entry.version)

    @contextlib.contextmanager
    def local_copy(self, key: str, work_dir: str | None) -> t.Iterator[str]:
        """Download into a temporary file in work_dir (zipfile needs a seekable file), removed afterwards."""
        check_key(key, "the archive name")
        try:
            fd, path = tempfile.mkstemp(dir=work_dir, prefix=".odoo_cloud-", suffix=ARCHIVE_SUFFIX)
        except OSError as exc:
            raise StoreError(f"cannot create a temporary file in {work_dir or tempfile.gettempdir()}: {exc}") from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                self._call(f"download of {self.location(key)}", self.client.download_fileobj, self.bucket, key, handle)
            yield path
        finally:
            with contextlib.suppress(OSError):
                os.remove(path)


Store = t.Union[LocalStore, S3Store]


def make_store(params: dict[str, t.Any]) -> Store:
    if params["store_type"] == "s3":
        return S3Store(make_s3_client(params), params["s3_bucket"])
    return LocalStore(params["store_path"])

# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Odoo's database dump layout (a ZIP of dump.sql, filestore/ and manifest.json), written as a stream and verified.

The layout is the one Odoo's database manager writes and restores (odoo/service/db.py, dump_db and
restore_db): ``dump.sql`` is plain ``pg_dump --no-owner`` output, ``filestore/`` the database's filestore
tree and ``manifest.json`` Odoo's manifest (odoo_dump "1", db_name, version, pg_version, modules). Ours adds
an ``odoo_cloud`` key to the manifest: the sha256 of every other member and row counts of a few tables,
which the reader checks. The code here is ours; only the layout follows Odoo.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import struct
import subprocess
import tempfile
import typing as t
import zipfile
import zlib
from collections.abc import Mapping

DUMP_MEMBER = "dump.sql"
MANIFEST_MEMBER = "manifest.json"
FILESTORE_PREFIX = "filestore/"
OUR_KEY = "odoo_cloud"
OUR_FORMAT = 1
ROW_TABLES = ("res_users", "res_partner", "ir_attachment", "ir_module_module")
CHUNK = 1024 * 1024
# pg_dump's plain output ends with this comment (newer versions add a \unrestrict line after it).
DUMP_COMPLETE = b"-- PostgreSQL database dump complete"
TAIL_BYTES = 4096
COMPRESSION = {"deflated": zipfile.ZIP_DEFLATED, "stored": zipfile.ZIP_STORED}
# A filestore file is stored, not deflated, when a fast deflate of its first 64 KiB saves less than 5 %.
INCOMPRESSIBLE_SAMPLE = 64 * 1024
INCOMPRESSIBLE_MIN_BYTES = 4096
INCOMPRESSIBLE_RATIO = 0.95
_LOCAL_HEADER = struct.Struct("<4sHHHHHLLLHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"

INSTALLED_MODULES_QUERY = "SELECT name, latest_version FROM ir_module_module WHERE state = 'installed' ORDER BY name"
TABLE_EXISTS_QUERY = "SELECT to_regclass(%(name)s) IS NOT NULL AS present"


class ArchiveError(Exception):
    """The archive is incomplete or damaged; the message names the first bad member."""


class DumpError(Exception):
    """pg_dump failed, or the filestore could not be read, while writing an archive."""


# --- the manifest -------------------------------------------------------------------------------

def pg_version_text(server_version: int) -> str:
    """Odoo's pg_version: 'major.minor' of server_version_num as Odoo computes it (160004 -> '16.0')."""
    return f"{server_version // 10000}.{(server_version // 100) % 100}"


def odoo_version_fields(modules: dict[str, str | None]) -> dict[str, t.Any]:
    """version, version_info and major_version, from the installed 'base' module ('18.0.1.3' -> 18.0)."""
    base = modules.get("base") or ""
    parts = base.split(".")
    if len(parts) < 2 or not all(part.isdigit() for part in parts[:2]):
        return {}
    major = f"{parts[0]}.{parts[1]}"
    return {"version": major, "version_info": [int(parts[0]), int(parts[1]), 0, "final", 0, ""], "major_version": major}


def odoo_manifest(db_name: str, server_version: int, modules: dict[str, str | None]) -> dict[str, t.Any]:
    """The manifest.json fields Odoo writes, from what the database says."""
    manifest: dict[str, t.Any] = {"odoo_dump": "1", "db_name": db_name}
    manifest.update(odoo_version_fields(modules))
    manifest["pg_version"] = pg_version_text(server_version)
    manifest["modules"] = dict(sorted(modules.items()))
    return manifest


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


# --- SQL, in one class the tests replace ---------------------------------------------------------

def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cell(row: t.Any, index: int = 0) -> t.Any:
    """A column of a row from psycopg2 (tuple or DictRow) or psycopg 3 with dict rows."""
    if isinstance(row, Mapping):
        return list(row.values())[index]
    return row[index]


class PgSession:
    """The SQL of odoo_backup and odoo_restore, on an autocommit connection."""

    def __init__(self, connection: t.Any) -> None:
        self.connection = connection
        self.cursor = connection.cursor()
        self.queries: list[str] = []

    def _execute(self, query: str, params: t.Any = None) -> None:
        self.queries.append(query)
        self.cursor.execute(query, params)

    def _value(self, query: str, params: t.Any = None) -> t.Any:
        self._execute(query, params)
        row = self.cursor.fetchone()
        return None if row is None else _cell(row)

    def close(self) -> None:
        self.connection.close()

    # backup side
    def server_version(self) -> int:
        return int(self._value("SHOW server_version_num"))

    def export_snapshot(self) -> str:
        """Starts a read-only repeatable-read transaction and exports its snapshot for pg_dump --snapshot."""
        self._execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return str(self._value("SELECT pg_export_snapshot()"))

    def end_transaction(self) -> None:
        self._execute("ROLLBACK")

    def installed_modules(self) -> dict[str, str | None]:
        self._execute(INSTALLED_MODULES_QUERY)
        return {_cell(row, 0): _cell(row, 1) for row in self.cursor.fetchall()}

    def row_counts(self, tables: t.Iterable[str] = ROW_TABLES) -> dict[str, int | None]:
        """Rows of each table (None when there is no such table). Table names are ours, never user input."""
        counts: dict[str, int | None] = {}
        for table in tables:
            if not self._value(TABLE_EXISTS_QUERY, {"name": f"public.{table}"}):
                counts[table] = None
                continue
            counts[table] = int(self._value(f"SELECT count(*) FROM public.{quote_ident(table)}"))
        return counts

    # restore side
    def database_exists(self, name: str) -> bool:
        return bool(self._value("SELECT count(*) FROM pg_database WHERE datname = %(name)s", {"name": name}))

    def database_comment(self, name: str) -> str | None:
        return self._value(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %(name)s", {"name": name}
        )

    def create_database(self, name: str, owner: str | None) -> None:
        # As Odoo creates its databases (odoo/service/db.py, _create_empty_database with template0).
        owner_sql = f" OWNER {quote_ident(owner)}" if owner else ""
        self._execute(f"CREATE DATABASE {quote_ident(name)}{owner_sql} ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE template0")

    def comment_database(self, name: str, text: str) -> None:
        self._execute(f"COMMENT ON DATABASE {quote_ident(name)} IS %(text)s", {"text": text})

    def drop_database(self, name: str) -> None:
        self._execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %(name)s AND pid <> pg_backend_pid()",
            {"name": name},
        )
        self._execute(f"DROP DATABASE {quote_ident(name)}")

    def rename_database(self, old: str, new: str) -> None:
        self._execute(f"ALTER DATABASE {quote_ident(old)} RENAME TO {quote_ident(new)}")


# libpq reads these variables, so pg_dump and psql get the connection (the password included) in their
# environment, never on their command line.
LIBPQ_ENVIRONMENT = {
    "host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "dbname": "PGDATABASE", "user": "PGUSER",
    "password": "PGPASSWORD", "passfile": "PGPASSFILE", "service": "PGSERVICE", "options": "PGOPTIONS",
    "application_name": "PGAPPNAME", "connect_timeout": "PGCONNECT_TIMEOUT", "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "sslcrl": "PGSSLCRL",
    "sslcrldir": "PGSSLCRLDIR", "sslsni": "PGSSLSNI", "sslnegotiation": "PGSSLNEGOTIATION",
    "ssl_min_protocol_version": "PGSSLMINPROTOCOLVERSION", "ssl_max_protocol_version": "PGSSLMAXPROTOCOLVERSION",
    "gssencmode": "PGGSSENCMODE", "krbsrvname": "PGKRBSRVNAME", "channel_binding": "PGCHANNELBINDING",
    "target_session_attrs": "PGTARGETSESSIONATTRS", "load_balance_hosts": "PGLOADBALANCEHOSTS",
    "require_auth": "PGREQUIREAUTH",
}


def libpq_environment(conn_params: dict[str, t.Any], base: t.Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a libpq client program from psycopg connection keywords.

    Raises ValueError naming a keyword (from connect_params) that has no libpq variable.
    """
    env = {key: value for key, value in (os.environ if base is None else base).items() if not key.startswith("PG")}
    for key, value in conn_params.items():
        if value is None or value == "":
            continue
        if key not in LIBPQ_ENVIRONMENT:
            raise ValueError(f"connect_params.{key} has no libpq environment variable, so pg_dump and psql cannot use it")
        env[LIBPQ_ENVIRONMENT[key]] = str(value)
    return env


# --- the filestore ------------------------------------------------------------------------------

def filestore_files(root: str) -> list[tuple[str, str]]:
    """(archive name, path) of every regular file under root, sorted; symbolic links are refused."""
    found: list[tuple[str, str]] = []
    for current, dirs, files in os.walk(root, onerror=_raise):
        dirs.sort()
        for name in dirs:
            if os.path.islink(os.path.join(current, name)):
                raise DumpError(f"the filestore holds a symbolic link, {os.path.join(current, name)}; Odoo never writes one")
        for name in sorted(files):
            path = os.path.join(current, name)
            if os.path.islink(path) or not os.path.isfile(path):
                raise DumpError(f"the filestore holds {path}, which is not a regular file")
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            found.append((FILESTORE_PREFIX + rel, path))
    return found


def _raise(exc: OSError) -> t.NoReturn:
    raise DumpError(f"cannot read the filestore: {exc}")


# --- writing ------------------------------------------------------------------------------------

def _zip_time(when: datetime.datetime) -> tuple[int, int, int, int, int, int]:
    when = max(when, datetime.datetime(1980, 1, 1, tzinfo=when.tzinfo))
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)


def _tail_is_complete(tail: bytes) -> bool:
    return DUMP_COMPLETE in tail


class ArchiveWriter:
    """Writes an Odoo dump ZIP into a file object that need not be seekable (a pipe, an upload stream).

    Member order: dump.sql first (streamed from pg_dump's stdout), then the filestore, then manifest.json
    (last, since it holds the others' sha256). The database is dumped before the filestore is read, so
    every file an attachment of the dump refers to is already in the filestore.
    """

    def __init__(self, compression: str = "deflated", chunk_size: int = CHUNK) -> None:
        self.compress_type = COMPRESSION[compression]
        self.chunk_size = chunk_size

    def write(
        self,
        sink: t.BinaryIO,
        dump_command: list[str],
        dump_env: dict[str, str],
        filestore: str | None,
        manifest: dict[str, t.Any],
        rows: dict[str, int | None],
    ) -> dict[str, t.Any]:
        """Write the archive; returns the complete manifest (with our key) and the sizes."""
        created = utc_now()
        hashes: dict[str, str] = {}
        with zipfile.ZipFile(sink, "w", compression=self.compress_type, allowZip64=True) as archive:
            dump_bytes = self._write_dump(archive, dump_command, dump_env, created, hashes)
            files_bytes = 0
            if filestore is not None:
                for arcname, path in filestore_files(filestore):
                    files_bytes += self._write_file(archive, arcname, path, hashes)
            full = dict(manifest)
            full[OUR_KEY] = {
                "format": OUR_FORMAT,
                "created": created.isoformat(timespec="seconds").replace("+00:00", "Z"),
                "files": hashes,
                "rows": rows,
            }
            info = zipfile.ZipInfo(MANIFEST_MEMBER, _zip_time(created))
            info.compress_type = self.compress_type
            info.external_attr = 0o600 << 16
            archive.writestr(info, json.dumps(full, indent=4, sort_keys=False).encode("utf-8"))
        return {
            "manifest": full,
            "dump_sql_bytes": dump_bytes,
            "filestore_files": len(hashes) - 1,
            "filestore_bytes": files_bytes,
        }

    def _member_compression(self, head: bytes) -> int:
        """Stored for a file whose start does not compress (PDFs, images, archives: most of a filestore), so
        that no CPU goes into deflating what deflate cannot shrink; the archive's compression otherwise."""
        if self.compress_type != zipfile.ZIP_DEFLATED or len(head) < INCOMPRESSIBLE_MIN_BYTES:
            return self.compress_type
        sample = head[:INCOMPRESSIBLE_SAMPLE]
        if len(zlib.compress(sample, 1)) > len(sample) * INCOMPRESSIBLE_RATIO:
            return zipfile.ZIP_STORED
        return self.compress_type

    def _write_dump(self, archive: zipfile.ZipFile, command: list[str], env: dict[str, str],
                    created: datetime.datetime, hashes: dict[str, str]) -> int:
        info = zipfile.ZipInfo(DUMP_MEMBER, _zip_time(created))
        info.compress_type = self.compress_type
        info.external_attr = 0o600 << 16
        digest = hashlib.sha256()
        size = 0
        tail = b""
        with tempfile.TemporaryFile() as errors:
            try:
                # run_command() collects the whole output in memory; the dump must stream into the archive instead.
                process = subprocess.Popen(  # pylint: disable=ansible-bad-function
                    command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors
                )
            except OSError as exc:
                raise DumpError(f"cannot run {command[0]}: {exc}") from exc
            try:
                # The size is unknown: zip64 headers, so that a dump over 4 GiB is written right.
                with archive.open(info, "w", force_zip64=True) as member:
                    while True:
                        chunk = process.stdout.read(self.chunk_size)
                        if not chunk:
                            break
                        digest.update(chunk)
                        member.write(chunk)
                        size += len(chunk)
                        tail = (tail + chunk)[-TAIL_BYTES:]
            finally:
                process.stdout.close()
                code = process.wait()
            if code != 0:
                errors.seek(0)
                message = errors.read()[-2000:].decode("utf-8", "replace").strip()
                raise DumpError(f"{command[0]} exited with status {code}: {message or 'no message'}")
        if size == 0 or not _tail_is_complete(tail):
            raise DumpError(f"{command[0]} exited with status 0 but its output does not end like a complete dump "
                            f"({size} bytes, no '{DUMP_COMPLETE.decode()}' line)")
        hashes[DUMP_MEMBER] = digest.hexdigest()
        return size

    def _write_file(self, archive: zipfile.ZipFile, arcname: str, path: str, hashes: dict[str, str]) -> int:
        try:
            info = zipfile.ZipInfo.from_file(path, arcname)
            digest = hashlib.sha256()
            size = 0
            with open(path, "rb") as source:
                chunk = source.read(self.chunk_size)
                info.compress_type = self._member_compression(chunk)
                with archive.open(info, "w") as member:
                    while chunk:
                        digest.update(chunk)
                        member.write(chunk)
                        size += len(chunk)
                        chunk = source.read(self.chunk_size)
        except OSError as exc:
            raise DumpError(f"cannot read {path}: {exc}") from exc
        hashes[arcname] = digest.hexdigest()
        return size


# --- reading ------------------------------------------------------------------------------------

def _unsafe_name(name: str) -> bool:
    parts = name.split("/")
    return name.startswith("/") or "\\" in name or any(part in ("", ".", "..") for part in parts) or "\x00" in name


def _local_headers(path: str) -> list[str]:
    """Names of the members whose local header is in the file, in order (for a file without central directory)."""
    names: list[str] = []
    with open(path, "rb") as handle:
        offset = 0
        carry = b""
        while True:
            block = handle.read(CHUNK)
            if not block:
                break
            data = carry + block
            base = offset - len(carry)
            start = 0
            while True:
                found = data.find(_LOCAL_SIGNATURE, start)
                if found < 0:
                    break
                position = handle.tell()
                handle.seek(base + found)
                header = handle.read(_LOCAL_HEADER.size)
                if len(header) == _LOCAL_HEADER.size:
                    fields = _LOCAL_HEADER.unpack(header)
                    version, name_length = fields[1], fields[9]
                    raw = handle.read(name_length)
                    if version <= 63 and 0 < name_length <= 1024 and len(raw) == name_length:
                        try:
                            names.append(raw.decode("utf-8"))
                        except UnicodeDecodeError:
                            pass
                handle.seek(position)
                start = found + 1
            carry = data[-3:]
            offset += len(block)
    return names


def open_archive(path: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path, "r")
    except zipfile.BadZipFile as exc:
        names = _local_headers(path)
        if not names:
            raise ArchiveError(f"{path} is not a ZIP archive ({exc})") from None
        raise ArchiveError(
            f"{path} is not a complete ZIP archive (its central directory is missing: truncated or damaged); "
            f"{len(names)} member(s) start in it and it breaks off in member '{names[-1]}'"
        ) from None
    except OSError as exc:
        raise ArchiveError(f"cannot read {path}: {exc}") from exc


def read_manifest(archive: zipfile.ZipFile) -> dict[str, t.Any]:
    """manifest.json, checked to be an Odoo manifest with our verification data."""
    try:
        raw = archive.read(MANIFEST_MEMBER)
    except KeyError:
        raise ArchiveError(f"member '{MANIFEST_MEMBER}' is missing") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise ArchiveError(f"member '{MANIFEST_MEMBER}' is corrupted: {exc}") from None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ArchiveError(f"member '{MANIFEST_MEMBER}' is not JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("odoo_dump") != "1":
        raise ArchiveError(f"member '{MANIFEST_MEMBER}' is not an Odoo dump manifest (odoo_dump is not \"1\")")
    ours = manifest.get(OUR_KEY)
    if not isinstance(ours, dict) or not isinstance(ours.get("files"), dict) or not isinstance(ours.get("rows", {}), dict):
        raise ArchiveError(
            f"member '{MANIFEST_MEMBER}' has no '{OUR_KEY}.files' checksums: the archive was not written by "
            "odoo_cloud.platform.odoo_backup and cannot be verified"
        )
    if not isinstance(manifest.get("db_name"), str) or not manifest["db_name"]:
        raise ArchiveError(f"member '{MANIFEST_MEMBER}' has no db_name")
    return manifest


def verify_archive(path: str, chunk_size: int = CHUNK) -> dict[str, t.Any]:
    """Read every member (CRC-32 checked by zipfile), compare sha256 with the manifest, check dump.sql's end.

    Raises ArchiveError naming the first bad member, in archive order.
    """
    with open_archive(path) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        for name in names:
            if _unsafe_name(name):
                raise ArchiveError(f"member '{name}' has an unsafe name")
            if name not in (DUMP_MEMBER, MANIFEST_MEMBER) and not (name.startswith(FILESTORE_PREFIX) and not name.endswith("/")):
                raise ArchiveError(f"member '{name}' is not part of an Odoo dump")
        if len(set(names)) != len(names):
            duplicate = next(name for name in names if names.count(name) > 1)
            raise ArchiveError(f"member '{duplicate}' is in the archive twice")
        manifest = read_manifest(archive)
        expected: dict[str, str] = manifest[OUR_KEY]["files"]
        dump_bytes = 0
        checked = 0
        for info in infos:
            if info.filename == MANIFEST_MEMBER:
                continue
            digest = hashlib.sha256()
            tail = b""
            try:
                with archive.open(info, "r") as member:
                    while True:
                        chunk = member.read(chunk_size)
                        if not chunk:
                            break
                        digest.update(chunk)
                        if info.filename == DUMP_MEMBER:
                            tail = (tail + chunk)[-TAIL_BYTES:]
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
                raise ArchiveError(f"member '{info.filename}' is corrupted: {exc}") from None
            if info.filename not in expected:
                raise ArchiveError(f"member '{info.filename}' is not listed in {MANIFEST_MEMBER}")
            if digest.hexdigest() != expected[info.filename]:
                raise ArchiveError(f"member '{info.filename}' does not match its sha256 in {MANIFEST_MEMBER}")
            if info.filename == DUMP_MEMBER:
                dump_bytes = info.file_size
                if dump_bytes == 0:
                    raise ArchiveError(f"member '{DUMP_MEMBER}' is empty")
                if not _tail_is_complete(tail):
                    raise ArchiveError(
                        f"member '{DUMP_MEMBER}' does not end like a complete pg_dump (no '{DUMP_COMPLETE.decode()}' line)"
                    )
            checked += 1
        present = set(names)
        for name in [DUMP_MEMBER, *sorted(expected)]:
            if name not in present:
                raise ArchiveError(f"member '{name}' is missing")
    return {
        "verified": True,
        "members": len(names),
        "filestore_files": checked - 1,
        "dump_sql_bytes": dump_bytes,
        "manifest": manifest,
    }


def stream_member(archive: zipfile.ZipFile, name: str, write: t.Callable[[bytes], t.Any], chunk_size: int = CHUNK) -> int:
    """Pass one member to write() in chunks; returns its size."""
    size = 0
    try:
        with archive.open(name, "r") as member:
            while True:
                chunk = member.read(chunk_size)
                if not chunk:
                    break
                write(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError) as exc:
        raise ArchiveError(f"member '{name}' cannot be read: {exc}") from None
    return size


def extract_filestore(archive: zipfile.ZipFile, destination: str, chunk_size: int = CHUNK) -> int:
    """Write the filestore/ members under destination (which must exist); returns the number of files."""
    count = 0
    for info in archive.infolist():
        if not info.filename.startswith(FILESTORE_PREFIX) or info.filename.endswith("/"):
            continue
        if _unsafe_name(info.filename):
            raise ArchiveError(f"member '{info.filename}' has an unsafe name")
        rel = info.filename[len(FILESTORE_PREFIX):]
        target = os.path.join(destination, *rel.split("/"))
        os.makedirs(os.path.dirname(target), mode=0o750, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        with os.fdopen(fd, "wb") as handle:
            stream_member(archive, info.filename, handle.write, chunk_size)
        count += 1
    return count


def summarize_manifest(manifest: dict[str, t.Any], max_files: int = 100) -> dict[str, t.Any]:
    """The manifest for a module result: the per-file table replaced by its count when it is large."""
    summary = dict(manifest)
    ours = dict(summary.get(OUR_KEY) or {})
    files = ours.get("files") or {}
    if len(files) > max_files:
        ours["files"] = {"count": len(files)}
    summary[OUR_KEY] = ours
    return summary


def feed_program(command: list[str], env: dict[str, str], prologue: bytes,
                 feed: t.Callable[[t.Callable[[bytes], t.Any]], t.Any]) -> tuple[int, str]:
    """Runs `command` and streams its standard input: `prologue`, then what `feed(write)` writes.

    run_command() takes the input as one bytes object; a dump.sql must stream from the archive instead.
    Returns the exit status (-1 when the program stopped reading before the end without failing) and the
    end of its standard error.
    """
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # pylint: disable=ansible-bad-function
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors
        )
        broken = False
        try:
            if prologue:
                process.stdin.write(prologue)
            feed(process.stdin.write)
        except BrokenPipeError:
            broken = True  # the program stopped on an error: its status and message say which
        finally:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.close()
            code = process.wait()
        errors.seek(0)
        message = errors.read()[-2000:].decode("utf-8", "replace").strip()
    if broken and code == 0:
        code = -1
    return code, message

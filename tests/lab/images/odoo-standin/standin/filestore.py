"""The filestore, laid out as Odoo lays it out: `<data_dir>/filestore/<db>/<sha1[:2]>/<sha1>`.

ir_attachment.store_fname holds the part under the database's directory (`<sha1[:2]>/<sha1>`) and
ir_attachment.checksum the sha1 of the content; identical contents share one file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile


def filestore_dir(data_dir: str, dbname: str) -> str:
    return os.path.join(data_dir, "filestore", dbname)


def store_fname(checksum: str) -> str:
    return f"{checksum[:2]}/{checksum}"


def full_path(data_dir: str, dbname: str, fname: str) -> str:
    return os.path.join(filestore_dir(data_dir, dbname), *fname.split("/"))


def write(data_dir: str, dbname: str, content: bytes) -> tuple[str, str, int]:
    """Store `content` (atomically, once per checksum); (store_fname, checksum, size)."""
    checksum = hashlib.sha1(content).hexdigest()
    fname = store_fname(checksum)
    path = full_path(data_dir, dbname, fname)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.chmod(tmp, 0o644)  # what open() gives Odoo under the usual umask
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return fname, checksum, len(content)

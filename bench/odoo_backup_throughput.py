"""Odoo backup and restore throughput: a database of about 1 GB and a filestore of about 1 GB.

On a throw-away lab host (odoo-cloud-lab/host:bookworm, Debian's PostgreSQL 15), measured side by side in one
run:
  disk       sequential write and read of a 1 GiB file with O_DIRECT (dd), on the filesystem the backups use;
  backup     odoo_cloud.platform.odoo_backup of the database and its filestore into a directory (pg_dump
             streamed into the ZIP, every file hashed, the archive read back and verified);
  restore    odoo_cloud.platform.odoo_restore of that archive under a new name (verified first, psql fed as a
             stream, row counts checked, the filestore extracted).
MB/s is the database size (pg_database_size) plus the filestore bytes over the module's own duration. The
issue's target: the restore in 60 s or less on the lab. The database rows are text (Odoo's are mostly text and
compress the same way); the filestore files are random bytes, like the PDFs and images Odoo keeps there.
The host is removed at the end (--keep leaves it). Nothing leaves the lab network.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "odoo-bench-backup"
ADDRESS = "10.77.0.198"
IMAGE = "odoo-cloud-lab/host:bookworm"
NETWORK = "odoo-cloud-lab"
# The lab hosts' capabilities (molecule/*/molecule.yml): systemd runs, no --privileged.
CAPS = ("CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE "
        "NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT "
        "SYS_ADMIN SYS_BOOT SYS_NICE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP "
        "MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ").split()
TARGET_RESTORE_SECONDS = 60.0
WORK = "/srv/bench"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sh(script: str, user: str = "root", timeout: float = 1800) -> str:
    """A bash script on the bench host; its stdout. Raises with the end of stderr on failure."""
    res = subprocess.run(["docker", "exec", "-i", "-u", user, HOST, "bash", "-euo", "pipefail", "-s"], input=script,
                         capture_output=True, text=True, timeout=timeout, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"on {HOST} as {user}: rc {res.returncode}: {res.stderr[-2000:]}")
    return res.stdout


def start_host() -> None:
    subprocess.run(["docker", "rm", "-f", HOST], capture_output=True, check=False)
    cmd = ["docker", "run", "-d", "--name", HOST, "--hostname", HOST, "--cap-drop", "ALL",
           *[arg for c in CAPS for arg in ("--cap-add", c)],
           "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--cgroupns", "host",
           "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
           "--network", NETWORK, "--ip", ADDRESS, IMAGE, "/lib/systemd/systemd"]
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        res = subprocess.run(["docker", "exec", HOST, "systemctl", "is-system-running"], capture_output=True, text=True,
                             check=False)
        if res.stdout.strip() in ("running", "degraded"):
            break
        time.sleep(1)
    log("installing postgresql-15, python3-psycopg2 from Debian")
    sh("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 python3-psycopg2 "
       ">/dev/null && systemctl is-active postgresql@15-main", timeout=900)


def make_data(db_mb: int, files_mb: int) -> dict[str, int]:
    rows = db_mb * 1024 * 1024 // 330  # about 330 bytes per row on disk (a 256-character text, a name, overhead)
    log(f"database: {rows} partners (about {db_mb} MB); filestore: {files_mb} files of 1 MiB")
    sh(f"""
createdb bench
psql -Xq -v ON_ERROR_STOP=1 -d bench <<'SQL'
CREATE TABLE ir_module_module (id serial PRIMARY KEY, name varchar, latest_version varchar, state varchar);
CREATE TABLE res_users (id serial PRIMARY KEY, login varchar);
CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar, comment text);
CREATE TABLE ir_attachment (id serial PRIMARY KEY, store_fname varchar);
INSERT INTO ir_module_module (name, latest_version, state) VALUES ('base', '18.0.1.3', 'installed');
INSERT INTO res_users (login) SELECT 'user' || g FROM generate_series(1, 50) g;
INSERT INTO res_partner (name, comment)
  SELECT 'partner ' || g, repeat(md5(g::text || random()::text), 8) FROM generate_series(1, {rows}) g;
INSERT INTO ir_attachment (store_fname) SELECT 'f' || g FROM generate_series(1, {files_mb}) g;
VACUUM ANALYZE;
SQL
""", user="postgres", timeout=3600)
    sh(f"""
mkdir -p {WORK}/filestore/bench {WORK}/backups {WORK}/restored
for d in $(seq -w 0 15); do mkdir -p {WORK}/filestore/bench/$d; done
i=0; while [ $i -lt {files_mb} ]; do
  head -c 1048576 /dev/urandom > {WORK}/filestore/bench/$(printf %02d $((i % 16)))/file$i; i=$((i + 1))
done
chown -R postgres: {WORK}
""", timeout=1800)
    db_bytes = int(sh("psql -XAtq -d bench -c \"SELECT pg_database_size('bench')\"", user="postgres").strip())
    fs_bytes = int(sh(f"du -sb {WORK}/filestore/bench | cut -f1").strip())
    return {"database": db_bytes, "filestore": fs_bytes}


def disk() -> dict[str, float]:
    """MB/s of a 1 GiB sequential write and read with O_DIRECT, on the filesystem of the backups."""
    out = sh(f"""
head -c 1073741824 /dev/urandom > {WORK}/rand.src
w=$(dd if={WORK}/rand.src of={WORK}/rand.dst bs=4M oflag=direct conv=fsync 2>&1 | tail -n 1)
r=$(dd if={WORK}/rand.dst of=/dev/null bs=4M iflag=direct 2>&1 | tail -n 1)
rm -f {WORK}/rand.src {WORK}/rand.dst
echo "$w"; echo "$r"
""", timeout=900)
    figures = []
    for line in out.strip().splitlines():
        # "1073741824 bytes (1.1 GB, 1.0 GiB) copied, 2.1 s, 511 MB/s"
        seconds = float(line.split(" copied, ")[1].split(" s,")[0])
        figures.append(1073741824 / seconds / 1e6)
    return {"write": figures[0], "read": figures[1]}


def module(name: str, args: dict[str, object], timeout: float = 3600) -> dict[str, object]:
    """One run of a collection module on the bench host (ansible ad-hoc, as postgres); its result."""
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "inventory.yml"
        inventory.write_text(json.dumps({"all": {"hosts": {HOST: {
            "ansible_connection": "community.docker.docker", "ansible_python_interpreter": "/usr/bin/python3"}}}}))
        env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
               "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
               "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
        res = subprocess.run(["ansible", "-i", str(inventory), HOST, "-b", "--become-user", "postgres",
                              "-m", f"odoo_cloud.platform.{name}", "-a", json.dumps(args)],
                             capture_output=True, text=True, env=env, timeout=timeout, check=False)
    try:
        result = json.loads(res.stdout)["plays"][0]["tasks"][0]["hosts"][HOST]
    except (ValueError, KeyError, IndexError):
        raise RuntimeError(f"{name}: rc {res.returncode}: {res.stdout[-1500:]} {res.stderr[-1500:]}") from None
    if result.get("failed"):
        raise RuntimeError(f"{name} failed: {result.get('msg')}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db-mb", type=int, default=1024, help="database size to generate, MB (default 1024)")
    parser.add_argument("--files-mb", type=int, default=1024, help="filestore to generate, 1 MiB files (default 1024)")
    parser.add_argument("--keep", action="store_true", help="leave the bench host running")
    args = parser.parse_args()
    try:
        start_host()
        sizes = make_data(args.db_mb, args.files_mb)
        total_mb = (sizes["database"] + sizes["filestore"]) / 1e6
        log("disk: 1 GiB sequential write and read, O_DIRECT")
        speeds = disk()
        socket = {"login_unix_socket": "/var/run/postgresql"}
        log("backup")
        backup = module("odoo_backup", {"database": "bench", "filestore_path": f"{WORK}/filestore/bench",
                                        "store_path": f"{WORK}/backups", **socket})
        log("restore")
        restore = module("odoo_restore", {"source": backup["location"], "database": "bench_copy",
                                          "filestore_root": f"{WORK}/restored", "store_path": f"{WORK}/backups",
                                          **socket})
    finally:
        if not args.keep:
            subprocess.run(["docker", "rm", "-f", HOST], capture_output=True, check=False)
    rows = restore["rows"]["res_partner"]
    print(f"data: database {sizes['database'] / 1e6:.0f} MB (pg_database_size), filestore "
          f"{sizes['filestore'] / 1e6:.0f} MB in {backup['filestore']['files']} files; archive "
          f"{backup['size'] / 1e6:.0f} MB; res_partner {rows['archive']} rows archived, {rows['restored']} restored")
    print(f"{'step':<10} {'seconds':>8} {'MB/s':>8}")
    print(f"{'disk write':<10} {'':>8} {speeds['write']:>8.0f}   (1 GiB, dd oflag=direct conv=fsync)")
    print(f"{'disk read':<10} {'':>8} {speeds['read']:>8.0f}   (1 GiB, dd iflag=direct)")
    for name, result in (("backup", backup), ("restore", restore)):
        seconds = float(result["duration"])
        print(f"{name:<10} {seconds:>8.1f} {total_mb / seconds:>8.0f}")
    verdict = "pass" if float(restore["duration"]) <= TARGET_RESTORE_SECONDS else "miss"
    print(f"target: restore <= {TARGET_RESTORE_SECONDS:.0f} s: {verdict} ({float(restore['duration']):.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The tenants inventory plugin on large generated catalogs: uncached, cached, and the ansible-inventory floor.

For each catalog size (shared tenants with a domain each, ranges allocated from a /12 pool):
  parse uncached   the plugin's parse() in this process (YAML read, whole-catalog validation, allocation, hosts
                   and groups added), cache off;
  parse JSON       the same catalog written as catalog.json (the plugin reads *.json as JSON), cache off;
  parse cached     the same with the jsonfile cache filled by a first run (read the cache, add hosts and groups);
  ansible-inventory --graph, uncached and cached, wall seconds of the whole command;
  floor            ansible-inventory --graph on a one-host static inventory (Python start and ansible-core's
                   imports, which no plugin can go under).
Median of --rounds runs each, measured side by side in one run. Nothing leaves this machine; files go to a
temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
TARGETS = {10000: 1.0}  # issue: a 10,000-tenant catalog in <= 1 s uncached


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def write_catalog(directory: Path, count: int) -> Path:
    tenants = [{"name": f"tenant-{i:05d}", "tier": "shared", "size": ("xs", "s", "m")[i % 3],
                "environment": ("production", "staging")[i % 2], "odoo_version": "18.0",
                "domains": [f"t{i}.example.com"]} for i in range(count)]
    catalog = {"cluster": {"api_server": "https://10.77.0.60:6443",
                           "database_servers": {"pg-shared": {"hosts": ["10.0.0.5"]}}},
               "tenants": tenants}
    (directory / "catalog.yml").write_text(yaml.safe_dump(catalog), encoding="utf-8")
    (directory / "catalog.json").write_text(json.dumps(catalog), encoding="utf-8")
    source = directory / "bench.tenants.yml"
    source.write_text("plugin: odoo_cloud.platform.tenants\ncatalog: catalog.yml\npool: 10.0.0.0/12\n", encoding="utf-8")
    (directory / "json.tenants.yml").write_text("plugin: odoo_cloud.platform.tenants\ncatalog: catalog.json\n"
                                                "pool: 10.0.0.0/12\n", encoding="utf-8")
    cached = directory / "cached.tenants.yml"
    cached.write_text("plugin: odoo_cloud.platform.tenants\ncatalog: catalog.yml\npool: 10.0.0.0/12\ncache: true\n"
                      f"cache_plugin: ansible.builtin.jsonfile\ncache_connection: {directory / 'cache'}\n"
                      "cache_timeout: 3600\n", encoding="utf-8")
    return directory


def in_process(source: Path, rounds: int) -> list[float]:
    from ansible.inventory.data import InventoryData
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import init_plugin_loader, inventory_loader

    if not getattr(in_process, "ready", False):
        init_plugin_loader()
        in_process.ready = True  # type: ignore[attr-defined]
    loader = DataLoader()
    times = []
    for _round in range(rounds):
        plugin = inventory_loader.get("odoo_cloud.platform.tenants")
        inventory = InventoryData()
        start = time.perf_counter()
        plugin.parse(inventory, loader, str(source), cache=True)
        times.append(time.perf_counter() - start)
        # What ansible-inventory does after parse: the cache is written (only when it changed).
        if plugin.get_option("cache"):
            plugin.update_cache_if_changed()
    return times


def command(source: Path, rounds: int) -> list[float]:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_INVENTORY_CACHE": "False"}
    times = []
    for _round in range(rounds):
        start = time.perf_counter()
        subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(source), "--graph"],
                       check=True, stdout=subprocess.DEVNULL, env=env, timeout=600)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="catalog sizes, comma-separated (default 1000,10000)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per measurement (default 3)")
    args = parser.parse_args()
    os.environ.setdefault("ANSIBLE_CONFIG", str(REPO / "ansible.cfg"))
    work = Path(tempfile.mkdtemp(prefix="odoo-cloud-bench-inventory."))
    rows = []
    try:
        floor_dir = work / "floor"
        floor_dir.mkdir()
        (floor_dir / "hosts.yml").write_text("all:\n  hosts:\n    one:\n", encoding="utf-8")
        log("ansible-inventory floor")
        floor = statistics.median(command(floor_dir / "hosts.yml", args.rounds))
        for count in (int(s) for s in args.sizes.split(",")):
            directory = work / str(count)
            directory.mkdir()
            write_catalog(directory, count)
            log(f"{count} tenants: in-process")
            uncached = statistics.median(in_process(directory / "bench.tenants.yml", args.rounds))
            as_json = statistics.median(in_process(directory / "json.tenants.yml", args.rounds))
            in_process(directory / "cached.tenants.yml", 1)  # fills the cache
            cached = statistics.median(in_process(directory / "cached.tenants.yml", args.rounds))
            log(f"{count} tenants: ansible-inventory")
            cmd_uncached = statistics.median(command(directory / "bench.tenants.yml", args.rounds))
            cmd_cached = statistics.median(command(directory / "cached.tenants.yml", args.rounds))
            rows.append((count, uncached, as_json, cached, cmd_uncached, cmd_cached))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"tenants inventory plugin (median of {args.rounds}; load average {os.getloadavg()[0]:.2f} at the end)")
    print(f"ansible-inventory --graph floor (one static host): {floor:.2f} s")
    print(f"{'tenants':>8} {'parse':>8} {'JSON':>8} {'cached':>8} {'ratio':>6} {'cmd':>8} {'cmd cached':>10} "
          f"{'cmd-floor':>9}  target (uncached parse)")
    for count, uncached, as_json, cached, cmd_uncached, cmd_cached in rows:
        target = TARGETS.get(count)
        verdict = "-" if target is None else (
            f"<= {target} s: YAML {'pass' if uncached <= target else 'miss'}, JSON {'pass' if as_json <= target else 'miss'}")
        print(f"{count:>8} {uncached:>7.2f}s {as_json:>7.2f}s {cached:>7.2f}s {uncached / cached:>5.1f}x "
              f"{cmd_uncached:>7.2f}s {cmd_cached:>9.2f}s {cmd_uncached - floor:>8.2f}s  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Unpack named collections from the `ansible` community wheel into a site-packages directory.

Usage: extract_collections.py WHEEL SITE_PACKAGES  (collection names on stdin, one per line)
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path


def main() -> int:
    wheel, site = Path(sys.argv[1]), Path(sys.argv[2])
    names = [line.strip() for line in sys.stdin if line.strip()]
    with zipfile.ZipFile(wheel) as zf:
        members = zf.namelist()
        for name in names:
            namespace, collection = name.split(".")
            prefix = f"ansible_collections/{namespace}/{collection}/"
            wanted = [m for m in members if m.startswith(prefix)]
            if not wanted:
                print(f"collection {name} is not in {wheel.name}", file=sys.stderr)
                return 1
            shutil.rmtree(site / prefix, ignore_errors=True)
            zf.extractall(site, wanted)
            print(f"installed {name} from {wheel.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Stand-in for ansible-test's pip bootstrap script (get-pip.py), which it downloads from a host
these machines cannot reach. ansible-test documents saving the script to
~/.ansible/test/cache/get_pip_<version>.py by hand; scripts/test.sh saves this one there.

It is called as `python get_pip.py [pip options] pip==X setuptools==Y ...` inside a fresh venv
without pip: bootstrap pip from the interpreter's own ensurepip, then install the exact
packages asked for from the package index.
"""

from __future__ import annotations

import subprocess
import sys

SKIP = {"--no-setuptools", "--no-wheel"}


def main() -> int:
    args = [a for a in sys.argv[1:] if a not in SKIP]
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
    return subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *args], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())

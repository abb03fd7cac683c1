"""The lab's stand-in server: a small program that honours the official `odoo` image's contract.

No registry reachable from the lab carries Odoo, so the collection's tests deploy this instead.
It speaks the same configuration file, command line, environment, ports, HTTP routes and database
layout the roles depend on, and nothing more (see ../README.md). Standard library plus psycopg2
and redis, as Debian packages them.
"""

SERVER_NAME = "stand-in"

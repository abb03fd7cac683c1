# Lab only: marks the stand-in's built-in Redis session store as the session_redis add-on, so that it
# acts only when this directory is on addons_path (as the real add-on acts only when it is installed
# in the image). The real add-on is camptocamp's session_redis (odoo-cloud-platform); this file holds
# none of its code.
{
    "name": "session_redis (lab stand-in marker)",
    "version": "0.1",
    "license": "AGPL-3",
    "depends": ["base"],
    "installable": True,
}

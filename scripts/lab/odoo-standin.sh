# shellcheck shell=bash
# Sourced by `scripts/lab.sh up` (uses its build_image, log and REGISTRY_PORT): builds the lab's
# stand-in for the official odoo image and publishes it in the lab registry under one tag per
# series the roles support. The same image serves every tag; the roles pick the tag from their
# version variable and never special-case the stand-in. No registry here carries Odoo itself.
# shellcheck disable=SC2154  # REGISTRY_PORT and REPO_ROOT come from scripts/lab.sh

publish_odoo_standin() {
  local image=odoo-cloud-lab/odoo-standin:latest series ref
  build_image "$image" "$REPO_ROOT/tests/lab/images/odoo-standin"
  for series in 16.0 17.0 18.0 19.0; do
    ref="127.0.0.1:$REGISTRY_PORT/lab/odoo-standin:$series"
    docker tag "$image" "$ref"
    docker push -q "$ref" >/dev/null
  done
  log "odoo stand-in image published as $REGISTRY_IP:$REGISTRY_PORT/lab/odoo-standin:{16.0,17.0,18.0,19.0}"
}

publish_odoo_standin

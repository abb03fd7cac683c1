#!/usr/bin/env bash
# The official odoo image's entrypoint, same rules (odoo/docker 16.0-19.0), for the stand-in.
#
# HOST/PORT/USER/PASSWORD (defaults db/5432/odoo/odoo; PASSWORD_FILE wins over PASSWORD) become
# --db_host/--db_port/--db_user/--db_password. When $ODOO_RC sets the option, its value is taken from
# the file instead, exactly as the official script reads it: the 3rd space-separated field of the
# line, so the file must say `db_password = secret` (spaces around `=`, no spaces in the value).
# `odoo ...` or `-...` waits for PostgreSQL (wait-for-psql.py, 30 s) then runs odoo with those
# arguments appended; anything else is run as given.

set -e

if [ -v PASSWORD_FILE ]; then
    PASSWORD="$(< "$PASSWORD_FILE")"
fi

: "${HOST:=${DB_PORT_5432_TCP_ADDR:=db}}"
: "${PORT:=${DB_PORT_5432_TCP_PORT:=5432}}"
: "${USER:=${DB_ENV_POSTGRES_USER:=${POSTGRES_USER:=odoo}}}"
: "${PASSWORD:=${DB_ENV_POSTGRES_PASSWORD:=${POSTGRES_PASSWORD:=odoo}}}"

DB_ARGS=()
function check_config() {
    param="$1"
    value="$2"
    if grep -q -E "^\s*\b${param}\b\s*=" "$ODOO_RC" ; then
        value=$(grep -E "^\s*\b${param}\b\s*=" "$ODOO_RC" |cut -d " " -f3|sed 's/["\n\r]//g')
    fi;
    DB_ARGS+=("--${param}")
    DB_ARGS+=("${value}")
}
check_config "db_host" "$HOST"
check_config "db_port" "$PORT"
check_config "db_user" "$USER"
check_config "db_password" "$PASSWORD"

case "$1" in
    -- | odoo)
        shift
        if [[ "$1" == "scaffold" ]] ; then
            exec odoo "$@"
        else
            wait-for-psql.py "${DB_ARGS[@]}" --timeout=30
            exec odoo "$@" "${DB_ARGS[@]}"
        fi
        ;;
    -*)
        wait-for-psql.py "${DB_ARGS[@]}" --timeout=30
        exec odoo "$@" "${DB_ARGS[@]}"
        ;;
    *)
        exec "$@"
esac

exit 1

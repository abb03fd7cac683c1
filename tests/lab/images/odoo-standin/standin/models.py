"""The one model call_kw knows: `lab.record` (table lab_record), enough to write and read test data.

Methods: create (a dict or a list of dicts: `name`, and `attachment`, a text stored in the filestore
with an ir_attachment row, as Odoo stores binary fields), read, search, search_count, search_read.
Domains are lists of [field, operator, value] terms, implicitly AND-ed.
"""

from __future__ import annotations

import logging

from . import filestore

_logger = logging.getLogger("standin.models")

MODEL = "lab.record"
FIELDS = ("id", "name", "create_uid", "create_date")
OPERATORS = {"=": "=", "!=": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "like": "LIKE",
             "ilike": "ILIKE", "=like": "LIKE", "=ilike": "ILIKE", "not like": "NOT LIKE",
             "not ilike": "NOT ILIKE", "in": "IN", "not in": "NOT IN"}


class UserError(Exception):
    pass


class MissingError(UserError):
    pass


class Env:
    """What a method call runs with: the cursor, the user and where the filestore is."""

    def __init__(self, cur, uid: int, dbname: str, data_dir: str):
        self.cur = cur
        self.uid = uid
        self.dbname = dbname
        self.data_dir = data_dir


def where_clause(domain) -> tuple[str, list]:
    clauses, params = [], []
    for term in domain or []:
        if term == "&":
            continue
        if not isinstance(term, (list, tuple)) or len(term) != 3:
            raise ValueError(f"Invalid leaf {term!r}")
        field, operator, value = term
        if field not in FIELDS or operator not in OPERATORS:
            raise ValueError(f"Invalid leaf {list(term)!r}")
        if operator in ("in", "not in"):
            value = tuple(value) or (None,)
        elif operator in ("like", "ilike", "not like", "not ilike"):
            value = f"%{value}%"
        clauses.append(f"{field} {OPERATORS[operator]} %s")
        params.append(value)
    return (" AND ".join(clauses) or "TRUE"), params


def _create_one(env: Env, vals: dict) -> int:
    unknown = sorted(set(vals) - {"name", "attachment", "attachment_name"})
    if unknown:
        _logger.warning("%s.create() with unknown fields: %s", MODEL, ", ".join(unknown))
    if not vals.get("name"):
        raise UserError("The field 'name' is required.")
    env.cur.execute("INSERT INTO lab_record (name, create_uid) VALUES (%s, %s) RETURNING id", (vals["name"], env.uid))
    record_id = env.cur.fetchone()[0]
    content = vals.get("attachment")
    if content is not None:
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        fname, checksum, size = filestore.write(env.data_dir, env.dbname, data)
        env.cur.execute(
            "INSERT INTO ir_attachment (name, store_fname, checksum, file_size, mimetype, res_model, res_id,"
            " create_uid) VALUES (%s, %s, %s, %s, 'text/plain', %s, %s, %s)",
            (vals.get("attachment_name") or f"{vals['name']}.txt", fname, checksum, size, MODEL, record_id, env.uid))
    return record_id


def create(env: Env, vals):
    if isinstance(vals, dict):
        return _create_one(env, vals)
    return [_create_one(env, one) for one in vals]


def search(env: Env, domain=None, offset: int = 0, limit: int | None = None, order: str | None = None) -> list[int]:
    where, params = where_clause(domain)
    order_by = "id DESC" if (order or "").strip().lower() == "id desc" else "id"
    env.cur.execute(f"SELECT id FROM lab_record WHERE {where} ORDER BY {order_by} OFFSET %s LIMIT %s",
                    params + [int(offset or 0), limit])
    return [record_id for (record_id,) in env.cur.fetchall()]


def search_count(env: Env, domain=None) -> int:
    where, params = where_clause(domain)
    env.cur.execute(f"SELECT count(*) FROM lab_record WHERE {where}", params)
    return env.cur.fetchone()[0]


def read(env: Env, ids, fields=None) -> list[dict]:
    ids = [ids] if isinstance(ids, int) else list(ids)
    env.cur.execute("SELECT id, name, create_uid, to_char(create_date, 'YYYY-MM-DD HH24:MI:SS') FROM lab_record"
                    " WHERE id = ANY(%s)", (ids,))
    rows = {row[0]: dict(zip(FIELDS, row)) for row in env.cur.fetchall()}
    missing = [record_id for record_id in ids if record_id not in rows]
    if missing:
        raise MissingError(f"Record does not exist or has been deleted.\n(Record: {MODEL}({missing[0]},), User: {env.uid})")
    env.cur.execute("SELECT res_id, array_agg(id ORDER BY id) FROM ir_attachment WHERE res_model = %s"
                    " AND res_id = ANY(%s) GROUP BY res_id", (MODEL, ids))
    attachments = dict(env.cur.fetchall())
    wanted = list(fields or FIELDS + ("attachment_ids",))
    result = []
    for record_id in ids:
        row = dict(rows[record_id], attachment_ids=attachments.get(record_id, []))
        result.append({field: row.get(field, False) for field in ["id"] + [f for f in wanted if f != "id"]})
    return result


def search_read(env: Env, domain=None, fields=None, offset: int = 0, limit: int | None = None,
                order: str | None = None) -> list[dict]:
    return read(env, search(env, domain, offset, limit, order), fields)


METHODS = {"create": create, "search": search, "search_count": search_count, "read": read,
           "search_read": search_read}


def call_kw(env: Env, model: str, method: str, args: list, kwargs: dict):
    if model != MODEL:
        raise KeyError(model)
    function = METHODS.get(method)
    if function is None:
        raise AttributeError(f"The method '{method}' does not exist on the model '{model}'")
    kwargs = {key: value for key, value in (kwargs or {}).items() if key != "context"}
    return function(env, *(args or []), **kwargs)

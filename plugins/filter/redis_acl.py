# Copyright: (c) 2026, odoo_cloud platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: redis_acl
short_description: Validate a Redis ACL user and render its ACL file line
version_added: 0.1.0
description:
  - Takes a user definition (name, password, rules, enabled) and returns the line for a Redis
    C(aclfile), with the password stored as its SHA-256 hash (never in plain text).
  - Every rule is checked against the Redis 7 ACL grammar before anything reaches a host, so a typo
    fails the play with the user and the rule named instead of a Redis that refuses to start.
  - Passwords must come from the O(_input.password) field; password rules (V(>pass), V(#hash),
    V(nopass)) inside O(_input.rules) are refused so that secrets never sit in rule strings.
options:
  _input:
    description: The user.
    type: dict
    required: true
    suboptions:
      name:
        description: User name (letters, digits, V(_), V(-), V(.), V(@)).
        type: str
        required: true
      password:
        description: Plain password; only its SHA-256 hash is written.
        type: str
        required: true
      rules:
        description: ACL rules, as a list or a space-separated string.
        type: raw
        required: true
      enabled:
        description: Whether the user can log in (V(on)) or not (V(off)).
        type: bool
        default: true
  min_password_length:
    description: Shortest password accepted.
    type: int
    default: 12
seealso:
  - name: Redis ACL rules
    description: The ACL rule reference.
    link: https://redis.io/docs/latest/operate/oss_and_stack/management/security/acl/
"""

EXAMPLES = r"""
- name: Render the ACL file lines
  ansible.builtin.set_fact:
    redis_acl_lines: "{{ users | map('odoo_cloud.platform.redis_acl') | list }}"
  vars:
    users:
      - name: odoo
        password: "{{ vault_redis_odoo_password }}"
        rules: "~session:* +@all -@dangerous -@admin"
"""

RETURN = r"""
_value:
  description: The ACL file line, for example V(user odoo on #5e88... ~* +@all -@dangerous).
  type: str
"""

import hashlib
import re
import typing as t

from ansible.errors import AnsibleFilterError

# Command categories of Redis 7 (ACL CAT).
CATEGORIES = frozenset(
    (
        "keyspace read write set sortedset list hash string bitmap hyperloglog geo stream pubsub "
        "admin fast slow blocking dangerous connection transaction scripting all"
    ).split()
)
FLAG_RULES = frozenset(
    ("on off allkeys resetkeys allchannels resetchannels allcommands nocommands reset clearselectors").split()
)
PASSWORD_RULE = re.compile(r"^(nopass|resetpass|[<>#!].*)$")
COMMAND_RULE = re.compile(r"^[+-][a-z][a-z0-9_-]*(\|[a-z0-9_-]+)?$", re.IGNORECASE)
CATEGORY_RULE = re.compile(r"^[+-]@([a-z]+)$", re.IGNORECASE)
KEY_RULE = re.compile(r"^(%(R|W|RW)?)?~\S+$")
USER_NAME = re.compile(r"^[A-Za-z0-9_.@-]+$")


def _split_rules(rules: t.Any) -> list[str]:
    if isinstance(rules, str):
        return rules.split()
    if isinstance(rules, (list, tuple)):
        out: list[str] = []
        for item in rules:
            if not isinstance(item, str):
                raise TypeError(f"rule {item!r} is not a string")
            out.extend(item.split())
        return out
    raise TypeError("rules must be a string or a list of strings")


def rule_error(rule: str) -> str | None:
    """Return why one ACL rule is invalid, or None when it parses."""
    if rule.lower() in FLAG_RULES:
        if rule.lower() in ("on", "off"):
            return "set the user's 'enabled' field instead of writing on/off in the rules"
        return None
    if PASSWORD_RULE.match(rule):
        return "password rules are not allowed in rules; set the user's 'password' field (only its hash is written)"
    if rule.startswith("(") or rule.endswith(")"):
        return "selectors '( ... )' are not supported by this role; use plain rules"
    if rule.startswith("&"):
        return None if len(rule) > 1 else "a channel rule needs a pattern, e.g. '&*'"
    if "~" in rule:
        return None if KEY_RULE.match(rule) else "a key rule is '~pattern', '%R~pattern', '%W~pattern' or '%RW~pattern'"
    match = CATEGORY_RULE.match(rule)
    if match:
        if match.group(1).lower() in CATEGORIES:
            return None
        return f"unknown command category '@{match.group(1)}'; known: {', '.join(sorted(CATEGORIES))}"
    if COMMAND_RULE.match(rule):
        return None
    return "not an ACL rule: expected +command, -command, +@category, -@category, ~keys, &channels or a flag such as allkeys"


def redis_acl(user: t.Any, min_password_length: int = 12) -> str:
    if not isinstance(user, dict):
        raise AnsibleFilterError(f"redis_acl expects a user dict, got {type(user).__name__}")
    name = user.get("name")
    if not isinstance(name, str) or not USER_NAME.match(name):
        raise AnsibleFilterError(
            f"Redis ACL user name {name!r} is invalid: use letters, digits, '_', '-', '.' or '@'"
        )
    password = user.get("password")
    if not isinstance(password, str) or len(password) < min_password_length:
        # Never echo the password itself.
        raise AnsibleFilterError(
            f"Redis ACL user '{name}': password is empty or shorter than {min_password_length} characters;"
            " set a longer one (from a vault)"
        )
    try:
        rules = _split_rules(user.get("rules"))
    except TypeError as exc:
        raise AnsibleFilterError(f"Redis ACL user '{name}': {exc}") from exc
    if not rules:
        raise AnsibleFilterError(f"Redis ACL user '{name}': rules are empty; give at least one command rule such as '+@read'")
    for rule in rules:
        why = rule_error(rule)
        if why:
            raise AnsibleFilterError(f"Redis ACL user '{name}': rule '{rule}' is invalid: {why}")
    enabled = user.get("enabled", True)
    if not isinstance(enabled, bool):
        raise AnsibleFilterError(f"Redis ACL user '{name}': 'enabled' must be a boolean")
    digest = hashlib.sha256(password.encode("utf-8")).hexdigest()
    return " ".join(["user", name, "on" if enabled else "off", f"#{digest}", *rules])


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"redis_acl": redis_acl}

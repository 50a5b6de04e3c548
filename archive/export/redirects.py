"""Old URL -> new URL maps, so no link to the old blog breaks: nginx, Apache, Netlify `_redirects`, Ghost
`redirects.yaml`.

Every old address of a post is mapped: its URL and its aliases (an old /single-post/ form, a redirect's
source). Paths are written as servers compare them: nginx and Apache match the percent-decoded UTF-8 path
(`/post/acupuntura-y-migraña`), Ghost (Express) the path as the browser sent it
(`/post/acupuntura-y-migra%C3%B1a`). One rule per old address: an archive of one site gives plain path
rules; an archive of several sites, whose paths can be the same (`/post/welcome` on both), gives rules scoped
by host, so no path is claimed twice.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sqlite_utils

from .common import ExportError, ExportPost, iter_export_posts, old_paths, path_url, snapshot

STYLES = ("nginx", "apache", "netlify", "ghost")
DEFAULT_PATTERN = "/blog/{slug}/"
NGINX_VARIABLE = "$blog_archive_redirect"
_REGEX_SPECIAL = re.compile(r"([\\^$.*+?()[\]{}|])")  # what PCRE reads as syntax
_JS_SPECIAL = re.compile(r"([\\^$.*+?()[\]{}|/])")  # what a JavaScript RegExp reads as syntax
_PLAIN = re.compile(r"^[A-Za-z0-9/_.~%+,:@!=-]+$")


@dataclass(frozen=True)
class Redirect:
    host: str  # the old site's host, lower-case, without 'www.'
    path: str  # the old path, decoded
    new: str  # the new URL or path


def new_url(item: ExportPost, pattern: str) -> str:
    """The post's new address from a pattern of {slug}, {year}, {month}, {day}."""
    date = (item.post.published or item.post.updated or item.row["first_seen"] or "0000-00-00")[:10]
    try:
        return pattern.format(slug=item.slug, year=date[:4], month=date[5:7], day=date[8:10])
    except (KeyError, IndexError, ValueError) as exc:
        raise ExportError(f"bad new URL pattern {pattern!r}: use {{slug}}, {{year}}, {{month}}, {{day}}") from exc


def redirects_for(item: ExportPost, new: str, seen: set[tuple[str, str]]) -> list[Redirect]:
    """The rules of one post: one per old address not already taken (by an earlier post) and not the new one."""
    rules = []
    for host, path in old_paths(item):
        if (host, path) in seen or path == new:
            continue
        seen.add((host, path))
        rules.append(Redirect(host, path, new))
    return rules


def redirect_map(db: sqlite_utils.Database, pattern: str = DEFAULT_PATTERN, *, site: str | None = None,
                 since: str | None = None) -> list[Redirect]:
    """Every old address of every post -> its new address, read from one snapshot of the archive."""
    if "{slug}" not in pattern:
        raise ExportError("the new URL pattern needs {slug}, e.g. /blog/{slug}/ or /{year}/{month}/{slug}/")
    rules: list[Redirect] = []
    seen: set[tuple[str, str]] = set()
    with snapshot(db):
        for item in iter_export_posts(db, None, site=site, since=since):
            rules += redirects_for(item, new_url(item, pattern), seen)
    return rules


def format_redirects(rules: list[Redirect], style: str) -> str:
    if style not in STYLES:
        raise ExportError(f"unknown redirect style {style!r} (choose from {', '.join(STYLES)})")
    scoped = len({rule.host for rule in rules}) > 1
    lines = globals()[f"_{style}"](rules, scoped)
    return "\n".join(lines) + ("\n" if lines else "")


def _nginx(rules: list[Redirect], scoped: bool) -> list[str]:
    if not scoped:
        return [f"location = {_nginx_word(r.path)} {{ return 301 {_nginx_word(r.new)}; }}" for r in rules]
    lines = [f"# Old addresses of {len({r.host for r in rules})} sites, per host. Put this map in the http {{ }} "
             "block, and in the server { } block",
             f"# that answers for the old hosts: if ({NGINX_VARIABLE}) {{ return 301 {NGINX_VARIABLE}; }}",
             f"map $host$uri {NGINX_VARIABLE} {{", '    default "";']
    keys: set[str] = set()
    for rule in rules:
        for host in _hosts(rule.host):
            key = host + rule.path
            if key not in keys:  # hosts that differ only by port are one host to nginx: the first rule wins
                keys.add(key)
                lines.append(f"    {_nginx_quoted(key)} {_nginx_quoted(rule.new)};")
    longest = max((len(key.encode("utf-8")) for key in keys), default=0)
    if longest + 32 > 64:  # nginx's default bucket (64 bytes) holds no longer key: say how big one must be
        size = 64
        while size < longest + 32:
            size *= 2
        lines.insert(2, f"map_hash_bucket_size {size};  # the longest old address needs it (drop if set already)")
    return lines + ["}"]


def _nginx_word(text: str) -> str:
    return text if _PLAIN.match(text) else _nginx_quoted(text)


def _nginx_quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def _apache(rules: list[Redirect], scoped: bool) -> list[str]:
    if not scoped:
        return [f"Redirect 301 {_apache_word(r.path)} {_apache_word(r.new)}" for r in rules]
    lines = ["# Old addresses of several sites, per host (mod_rewrite; in the server config, a virtual host "
             "or .htaccess)", "RewriteEngine On"]
    for rule in rules:
        host, path = _regex(_bare_host(rule.host)), _regex(rule.path.lstrip("/"))
        lines += [f'RewriteCond "%{{HTTP_HOST}}" "^(www\\.)?{_apache_escape(host)}(:[0-9]+)?$" [NC]',
                  f'RewriteRule "^/?{_apache_escape(path)}$" {_apache_word(rule.new)} [R=301,L]']
    return lines


def _regex(text: str) -> str:
    return _REGEX_SPECIAL.sub(r"\\\1", text)


def _apache_word(text: str) -> str:
    return text if _PLAIN.match(text) else '"' + _apache_escape(text) + '"'


def _apache_escape(text: str) -> str:
    """Inside "…" Apache reads \\" as a quote and keeps every other backslash as it is."""
    return text.replace('"', '\\"')


def _netlify(rules: list[Redirect], scoped: bool) -> list[str]:
    lines = []
    for rule in rules:
        path = re.sub(r"[\s#]", lambda m: f"%{ord(m.group()):02X}", rule.path)
        sources = [f"https://{host}{path}" for host in _hosts(rule.host, port=True)] if scoped else [path]
        lines += [f"{source} {rule.new} 301" for source in sources]
    return lines


def _ghost(rules: list[Redirect], scoped: bool) -> list[str]:
    """Ghost's redirects.yaml (Settings > Labs > Redirects): '301:' then 'from-regex: to' lines. Ghost matches
    the path as sent (percent-encoded), so each key is that path, regex-escaped, anchored, with an optional
    trailing slash; Ghost answers for one site, so the first rule for a path wins."""
    lines, taken = ["301:"], set()
    for rule in rules:
        encoded = path_url(rule.path).rstrip("/") or "/"
        if encoded in taken:
            continue
        taken.add(encoded)
        key = "^" + _JS_SPECIAL.sub(r"\\\1", encoded) + "\\/?$"
        lines.append(f"  {_yaml_quoted(key)}: {_yaml_quoted(rule.new)}")
    return lines if len(lines) > 1 else ["301: {}"]


def _yaml_quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _hosts(host: str, *, port: bool = False) -> list[str]:
    """The old host and its www. form (not for an address or a host with a port); the port dropped unless kept."""
    bare = host if port else _bare_host(host)
    plain = ":" not in host and not re.fullmatch(r"[0-9.]+|\[.*\]", host)
    return [bare, f"www.{bare}"] if plain else [bare]


def _bare_host(host: str) -> str:
    """A host without its port: nginx's $host and Apache's HTTP_HOST (the port is matched apart) have none."""
    return host.split(":", 1)[0] if not host.startswith("[") else host.split("]", 1)[0] + "]"

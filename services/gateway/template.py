"""google.api.http path templates: parse once, match request paths, rank by specificity.

Grammar (google/api/http.proto)::

    Template = "/" Segments [ Verb ] ;
    Segments = Segment { "/" Segment } ;
    Segment  = "*" | "**" | LITERAL | Variable ;
    Variable = "{" FieldPath [ "=" Segments ] "}" ;
    Verb     = ":" LITERAL ;

``{id}`` is short for ``{id=*}``: one non-empty segment. ``**`` (last only) matches the rest.
When several templates match a path, the most specific wins: a literal segment beats a
variable, which beats ``**`` (so ``/api/bots/events`` beats ``/api/bots/{id}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

LITERAL, ONE, REST = 0, 1, 2  # segment kinds, in order of decreasing specificity
_FIELD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_LITERAL = re.compile(r"^[A-Za-z0-9._~!$&'()+,;=@%-]+$")


class TemplateError(ValueError):
    """A template in a proto's http option that cannot be parsed."""


class BadPath(ValueError):
    """A request path that cannot be decoded (bad percent-encoding)."""


@dataclass(frozen=True)
class Variable:
    field_path: str  # e.g. "id" or "order.id"
    start: int  # index of its first segment
    end: int  # index after its last segment; -1 when it runs to the end of the path


@dataclass(frozen=True)
class PathTemplate:
    text: str
    segments: tuple[tuple[int, str], ...]  # (kind, literal text or "")
    variables: tuple[Variable, ...]
    verb: str

    @property
    def specificity(self) -> tuple[int, ...]:
        """Smaller is more specific; compared between templates that match one path."""
        return (*(kind for kind, _ in self.segments), 0 if self.verb else 1)

    @property
    def openapi_path(self) -> str:
        """The OpenAPI form: each variable as ``{field.path}``, literals kept."""
        parts: list[str] = []
        i = 0
        by_start = {v.start: v for v in self.variables}
        while i < len(self.segments):
            var = by_start.get(i)
            if var is not None:
                parts.append("{" + var.field_path + "}")
                i = len(self.segments) if var.end < 0 else var.end
                continue
            kind, text = self.segments[i]
            parts.append(text if kind == LITERAL else ("*" if kind == ONE else "**"))
            i += 1
        return "/" + "/".join(parts) + (":" + self.verb if self.verb else "")

    def match(self, raw_path: str) -> dict[str, str] | None:
        """Variables of a percent-encoded path (query string removed), or None."""
        if not raw_path.startswith("/"):
            return None
        path = raw_path[1:]
        if self.verb:
            suffix = ":" + self.verb
            if not path.endswith(suffix):
                return None
            path = path[: -len(suffix)]
        parts = path.split("/")
        has_rest = bool(self.segments) and self.segments[-1][0] == REST
        fixed = len(self.segments) - (1 if has_rest else 0)
        if len(parts) < fixed or (not has_rest and len(parts) != fixed):
            return None
        for (kind, text), part in zip(self.segments[:fixed], parts, strict=False):
            if kind == LITERAL:
                if _decode(part) != text:
                    return None
            elif part == "":
                return None
        values: dict[str, str] = {}
        for var in self.variables:
            end = len(parts) if var.end < 0 else var.end
            chunk = parts[var.start : end]
            if len(chunk) == 1:
                values[var.field_path] = _decode(chunk[0])
            else:  # multi-segment variables keep "/" (and %2F) as they are, per http.proto
                values[var.field_path] = "/".join(_decode(p, keep_slash=True) for p in chunk)
        return values


def _decode(part: str, keep_slash: bool = False) -> str:
    if keep_slash:
        part = part.replace("%2F", "%252F").replace("%2f", "%252f")
    try:
        return unquote(part, errors="strict")
    except UnicodeDecodeError:
        raise BadPath(f"path segment {part!r} is not valid UTF-8 after percent-decoding") from None


def parse_template(text: str) -> PathTemplate:
    if not text.startswith("/"):
        raise TemplateError(f"{text!r}: a path template starts with /")
    body, verb = _split_verb(text[1:], text)
    segments: list[tuple[int, str]] = []
    variables: list[Variable] = []
    for token in _tokens(body, text):
        if token.startswith("{"):
            inner = token[1:-1]
            name, eq, pattern = inner.partition("=")
            if not _FIELD_PATH.match(name):
                raise TemplateError(f"{text!r}: bad variable name {name!r}")
            if any(v.field_path == name for v in variables):
                raise TemplateError(f"{text!r}: variable {name!r} appears twice")
            start = len(segments)
            for sub in pattern.split("/") if eq else ["*"]:
                segments.append(_segment(sub, text))
            end = -1 if segments[-1][0] == REST else len(segments)
            variables.append(Variable(name, start, end))
        else:
            segments.append(_segment(token, text))
    for i, (kind, _) in enumerate(segments):
        if kind == REST and i != len(segments) - 1:
            raise TemplateError(f"{text!r}: ** must be the last segment")
    return PathTemplate(text, tuple(segments), tuple(variables), verb)


def _split_verb(body: str, text: str) -> tuple[str, str]:
    depth, colon = 0, -1
    for i, ch in enumerate(body):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == ":" and depth == 0:
            colon = i
    if colon < 0:
        return body, ""
    verb = body[colon + 1 :]
    if not _LITERAL.match(verb):
        raise TemplateError(f"{text!r}: bad verb {verb!r}")
    return body[:colon], verb


def _tokens(body: str, text: str) -> list[str]:
    """Split on "/" outside braces."""
    tokens, depth, current = [], 0, ""
    for ch in body:
        if ch == "{":
            if depth:
                raise TemplateError(f"{text!r}: nested braces")
            depth = 1
        elif ch == "}":
            if not depth:
                raise TemplateError(f"{text!r}: unbalanced braces")
            depth = 0
        if ch == "/" and not depth:
            tokens.append(current)
            current = ""
        else:
            current += ch
    if depth:
        raise TemplateError(f"{text!r}: unbalanced braces")
    tokens.append(current)
    return tokens


def _segment(token: str, text: str) -> tuple[int, str]:
    if token == "*":
        return (ONE, "")
    if token == "**":
        return (REST, "")
    if not token or not _LITERAL.match(token):
        raise TemplateError(f"{text!r}: bad segment {token!r}")
    return (LITERAL, unquote(token))

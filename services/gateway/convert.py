"""An HTTP request -> the RPC's request message, refusing bad input before any call.

The body (``body: "*"``: the whole message; ``body: "fill"``: the JSON *is* that field) is
checked against the message's fields first (objects where messages go, strings where strings
go, no unknown or doubled names), then parsed by json_format. Path variables and query
parameters fill the other fields by their type (see fields.py). Enum values must be defined.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from services.gateway.errors import ApiError, bad_request
from services.gateway.fields import WRAPPERS, assign, find_field, is_internal, is_map, scalar
from services.gateway.routes import Binding

F = FieldDescriptor
_INTS = {
    F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32, F.TYPE_INT64, F.TYPE_SINT64,
    F.TYPE_SFIXED64, F.TYPE_UINT32, F.TYPE_FIXED32, F.TYPE_UINT64, F.TYPE_FIXED64,
}  # fmt: skip
_STRING_WKT = {"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"}
_FAILED = re.compile(r"^Failed to parse (\S+) field: ")
SEQUENCE_FIELDS = ("after_sequence", "from_sequence")


def parse_json(raw: bytes) -> Any:
    """The JSON value of a body; None for an empty body."""
    if not raw.strip():
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("body", "is not UTF-8 text") from None
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise bad_request(
            "body", f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise bad_request("body", "is nested too deeply") from None


def _no_constant(name: str) -> None:
    raise bad_request("body", f"{name} is not a JSON value")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise bad_request(key, "is given twice")
        out[key] = value
    return out


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def check_message(value: Any, desc: Descriptor, path: str) -> None:
    """Refuse a JSON value that cannot be this message, naming the field."""
    if not isinstance(value, dict):
        raise bad_request(path or "body", "must be a JSON object")
    seen: dict[str, str] = {}
    for key, item in value.items():
        where = _join(path, key)
        field = find_field(desc, key)
        if field is None:
            raise bad_request(where, f"is not a field of {desc.name}")
        if field.name in seen:
            raise bad_request(where, f"is given twice (as {seen[field.name]} and {key})")
        seen[field.name] = key
        if item is not None:
            check_field(item, field, where)


def check_field(value: Any, field: FieldDescriptor, path: str) -> None:
    if is_map(field):
        if not isinstance(value, dict):
            raise bad_request(path, "must be a JSON object")
        value_field = field.message_type.fields_by_name["value"]
        for key, item in value.items():
            check_single(item, value_field, f"{path}[{key}]")
    elif field.is_repeated:
        if not isinstance(value, list):
            raise bad_request(path, "must be a JSON array")
        for i, item in enumerate(value):
            check_single(item, field, f"{path}[{i}]")
    else:
        check_single(value, field, path)


def check_single(value: Any, field: FieldDescriptor, path: str) -> None:
    msg = field.message_type
    if msg is None:
        _check_scalar(value, field, path)
    elif msg.full_name in _STRING_WKT:
        if not isinstance(value, str):
            raise bad_request(path, "must be a string (a time is RFC 3339: 2026-03-10T12:00:00Z)")
    elif msg.full_name in WRAPPERS:
        _check_scalar(value, msg.fields_by_name["value"], path)
    elif msg.full_name in ("google.protobuf.Struct", "google.protobuf.Any"):
        if not isinstance(value, dict):
            raise bad_request(path, "must be a JSON object")
    elif msg.full_name == "google.protobuf.ListValue":
        if not isinstance(value, list):
            raise bad_request(path, "must be a JSON array")
    elif msg.full_name != "google.protobuf.Value":
        check_message(value, msg, path)


def _check_scalar(value: Any, field: FieldDescriptor, path: str) -> None:
    t = field.type
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if t in (F.TYPE_STRING, F.TYPE_BYTES):
        ok, what = isinstance(value, str), 'a string (decimal numbers are strings: "0.015")'
    elif t == F.TYPE_BOOL:
        ok, what = isinstance(value, bool), "true or false"
    elif t == F.TYPE_ENUM:
        ok = isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
        what = "an enum value name"
    elif t in _INTS:
        ok, what = number or isinstance(value, str), "a whole number"
    else:
        ok, what = number or isinstance(value, str), "a number"
    if not ok:
        raise bad_request(path, f"must be {what}")


def _parse_error(exc: json_format.ParseError) -> ApiError:
    """json_format's "Failed to parse a field: Failed to parse b field: why" -> a.b: why."""
    text = str(exc).split("\n")[0]
    names = []
    while m := _FAILED.match(text):
        names.append(m.group(1))
        text = text[m.end() :]
    text = re.sub(r" at [\w.\[\]]+\.*$", "", text).rstrip(".")
    return bad_request(".".join(names) or "body", text)


def check_enums(message: Message, path: str = "") -> None:
    """Refuse enum numbers the enum does not define (proto3 JSON lets them through)."""
    for field, value in message.ListFields():
        where = _join(path, field.json_name)
        if is_map(field):
            vf = field.message_type.fields_by_name["value"]
            items = list(value.values()) if vf.type in (F.TYPE_ENUM, F.TYPE_MESSAGE) else []
            field = vf
        else:
            items = list(value) if field.is_repeated else [value]
        for item in items:
            if field.type == F.TYPE_ENUM and item not in field.enum_type.values_by_number:
                raise bad_request(where, f"{item} is not a value of {field.enum_type.name}")
            if field.type == F.TYPE_MESSAGE:
                check_enums(item, where)


def _merge_body(request: Message, binding: Binding, body: Any) -> None:
    try:
        _merge(request, binding, body)
    except RecursionError:
        raise bad_request("body", "is nested too deeply") from None


def _merge(request: Message, binding: Binding, body: Any) -> None:
    if binding.body == "*":
        body = {} if body is None else body
        check_message(body, request.DESCRIPTOR, "")
        target, value = request, body
    else:
        if body is None:
            return
        field = request.DESCRIPTOR.fields_by_name[binding.body]
        if field.message_type is not None and not field.is_repeated:
            check_single(body, field, "")
            target, value = getattr(request, field.name), body
        else:
            check_field(body, field, field.json_name)
            target, value = request, {field.name: body}
    try:
        json_format.ParseDict(value, target, ignore_unknown_fields=False)
    except json_format.ParseError as exc:
        raise _parse_error(exc) from None
    check_enums(target)  # query and path values are checked as they are converted


def _resolve(desc: Descriptor, dotted: str, name: str) -> list[FieldDescriptor]:
    """The chain of fields a dotted name (``a.b.c``, snake or camel) walks through."""
    chain: list[FieldDescriptor] = []
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        field = find_field(desc, part) if desc is not None else None
        if field is None or is_internal(field):
            raise bad_request(name, "is not a parameter of this request")
        chain.append(field)
        if i < len(parts) - 1:
            nested = field.message_type
            if field.is_repeated or nested is None or nested.full_name.startswith("google."):
                raise bad_request(name, "is not a parameter of this request")
            desc = nested
    return chain


def _set(request: Message, chain: list[FieldDescriptor], texts: list[str], name: str) -> None:
    target = request
    for field in chain[:-1]:
        target = getattr(target, field.name)
    assign(target, chain[-1], texts, name)


def build_request(
    binding: Binding,
    path_values: dict[str, str],
    query: Iterable[tuple[str, str]],
    body: Any = None,
    *,
    idempotency_key: str | None = None,
    last_event_id: str | None = None,
) -> Message:
    request = binding.request_cls()
    desc = request.DESCRIPTOR
    if binding.body:
        _merge_body(request, binding, body)
    for field_path, text in path_values.items():
        _set(request, _resolve(desc, field_path, field_path), [text], field_path)
    grouped: dict[str, list[str]] = {}
    for key, text in query:
        grouped.setdefault(key, []).append(text)
    bound = {p.split(".")[0] for p in binding.path_fields}
    for key, texts in grouped.items():
        chain = _resolve(desc, key, key)
        top = chain[0].name
        if top in bound:
            raise bad_request(key, "is given in the path")
        if binding.body == "*" or top == binding.body:
            raise bad_request(key, "belongs in the JSON body")
        _set(request, chain, texts, key)
    if idempotency_key:
        _fill_idempotency_key(request, binding, idempotency_key)
    if last_event_id is not None and binding.streaming:
        for name in SEQUENCE_FIELDS:
            field = desc.fields_by_name.get(name)
            if field is not None and not getattr(request, name):
                setattr(request, name, scalar(field, last_event_id.strip(), "Last-Event-ID"))
    return request


def _fill_idempotency_key(request: Message, binding: Binding, key: str) -> None:
    """The Idempotency-Key header goes into ``idempotency_key`` when the body left it empty."""
    targets = [request]
    if binding.body not in ("", "*"):
        field = request.DESCRIPTOR.fields_by_name[binding.body]
        if field.message_type is not None and not field.is_repeated:
            targets.append(getattr(request, binding.body))
    for target in targets:
        field = target.DESCRIPTOR.fields_by_name.get("idempotency_key")
        if field is not None and field.type == F.TYPE_STRING:
            if not target.idempotency_key:
                target.idempotency_key = key
            return

"""One protobuf field from text (a query parameter or a path variable), by the field's type.

Integers in range (int64 from text), bools true/false (or 1/0), RFC 3339 timestamps, enums by
full name, by number or by the part after the enum's prefix in any case (``daily`` for
PROFIT_PERIOD_DAILY), wrapper types by their value. Every refusal raises ApiError naming the
parameter as the caller wrote it.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Any

from google.protobuf import duration_pb2, field_mask_pb2, message_factory, timestamp_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from amarktai.common.v1 import options_pb2
from services.gateway.errors import bad_request

F = FieldDescriptor
_INT_RANGES = {
    F.TYPE_INT32: (-(2**31), 2**31 - 1),
    F.TYPE_SINT32: (-(2**31), 2**31 - 1),
    F.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    F.TYPE_INT64: (-(2**63), 2**63 - 1),
    F.TYPE_SINT64: (-(2**63), 2**63 - 1),
    F.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    F.TYPE_UINT32: (0, 2**32 - 1),
    F.TYPE_FIXED32: (0, 2**32 - 1),
    F.TYPE_UINT64: (0, 2**64 - 1),
    F.TYPE_FIXED64: (0, 2**64 - 1),
}
_INT = re.compile(r"^[+-]?[0-9]+$")
_FLOAT = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_TEXT_WKT = {
    "google.protobuf.Timestamp": timestamp_pb2.Timestamp,
    "google.protobuf.Duration": duration_pb2.Duration,
    "google.protobuf.FieldMask": field_mask_pb2.FieldMask,
}
WRAPPERS = frozenset(
    f"google.protobuf.{n}Value"
    for n in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes")
)


def find_field(message: Descriptor, name: str) -> FieldDescriptor | None:
    """A field by its proto name (snake_case) or its JSON name (lowerCamelCase)."""
    field = message.fields_by_name.get(name)
    if field is not None:
        return field
    for f in message.fields:
        if f.json_name == name:
            return f
    return None


def is_internal(field: FieldDescriptor) -> bool:
    """A field for the services only (amarktai.common.v1.internal): not over HTTP."""
    return field.GetOptions().Extensions[options_pb2.internal]


def is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def settable_from_text(field: FieldDescriptor) -> bool:
    """Whether a query parameter (or path variable) can give this field a value."""
    if is_map(field):
        return False
    if field.message_type is None:
        return True
    name = field.message_type.full_name
    return name in _TEXT_WKT or name in WRAPPERS


def enum_prefix(enum: EnumDescriptor) -> str:
    """PROFIT_PERIOD_ for ProfitPeriod (Buf style), else the values' common ``X_`` prefix."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", enum.name).upper() + "_"
    names = [v.name for v in enum.values]
    if all(n.startswith(snake) for n in names):
        return snake
    common = names[0] if len(names) > 1 else ""
    for n in names[1:]:
        while not n.startswith(common):
            common = common[:-1]
    return common[: common.rfind("_") + 1]


def short_names(enum: EnumDescriptor) -> list[str]:
    prefix = enum_prefix(enum)
    return [v.name[len(prefix) :].lower() for v in enum.values if v.number != 0]


def enum_number(enum: EnumDescriptor, text: str, name: str) -> int:
    value = text.strip()
    if _INT.match(value):
        number = int(value)
        if number in enum.values_by_number:
            return number
    else:
        upper = value.upper()
        prefix = enum_prefix(enum)
        for v in enum.values:
            if upper in (v.name, v.name[len(prefix) :]):
                return v.number
    raise bad_request(name, f"{text!r} is not one of {', '.join(short_names(enum))}")


def scalar(field: FieldDescriptor, text: str, name: str) -> Any:
    """The Python value of a scalar or enum field given as text."""
    t = field.type
    if t == F.TYPE_STRING:
        return text
    if t in _INT_RANGES:
        low, high = _INT_RANGES[t]
        if not _INT.match(text) or not low <= int(text) <= high:
            raise bad_request(name, f"{text!r} is not a whole number from {low} to {high}")
        return int(text)
    if t == F.TYPE_BOOL:
        value = text.lower()
        if value not in ("true", "false", "1", "0"):
            raise bad_request(name, f"{text!r} is not true or false")
        return value in ("true", "1")
    if t == F.TYPE_ENUM:
        return enum_number(field.enum_type, text, name)
    if t in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        if not _FLOAT.match(text) or not math.isfinite(float(text)):
            raise bad_request(name, f"{text!r} is not a finite number")
        return float(text)
    if t == F.TYPE_BYTES:
        try:
            padded = text + "=" * (-len(text) % 4)
            return base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
        except (binascii.Error, ValueError):
            raise bad_request(name, "is not base64") from None
    raise bad_request(name, "cannot be given as text")


def message_from_text(field: FieldDescriptor, text: str, name: str) -> Message:
    """A Timestamp (RFC 3339), Duration ("1.5s"), FieldMask or wrapper from text."""
    full = field.message_type.full_name
    if full in _TEXT_WKT:
        value = _TEXT_WKT[full]()
        try:
            value.FromJsonString(text)
        except ValueError as exc:
            what = "an RFC 3339 time (2026-03-10T12:00:00Z)" if "Timestamp" in full else full
            raise bad_request(name, f"{text!r} is not {what}: {exc}") from None
        return value
    if full in WRAPPERS:
        cls = message_factory.GetMessageClass(field.message_type)
        return cls(value=scalar(field.message_type.fields_by_name["value"], text, name))
    raise bad_request(name, "cannot be given in the query; send it in a JSON body")


def assign(message: Message, field: FieldDescriptor, texts: list[str], name: str) -> None:
    """Set ``field`` of ``message`` from one or more texts (repeated: each, comma split)."""
    if not settable_from_text(field):
        raise bad_request(name, "cannot be given in the query or path")
    if field.is_repeated:
        target = getattr(message, field.name)
        for text in texts:
            for part in text.split(",") if text else []:
                if field.message_type is not None:
                    target.add().CopyFrom(message_from_text(field, part.strip(), name))
                else:
                    target.append(scalar(field, part.strip(), name))
        return
    if len(texts) != 1:
        raise bad_request(name, "is given more than once")
    if field.message_type is not None:
        getattr(message, field.name).CopyFrom(message_from_text(field, texts[0], name))
    else:
        setattr(message, field.name, scalar(field, texts[0], name))

"""OpenAPI 3.0 for every route, generated from the same descriptors the gateway routes by.

Schemas follow the protobuf JSON mapping: lowerCamelCase names, enums as string enums of their
full value names, 64-bit integers as strings, Timestamps as RFC 3339 strings.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

from amarktai.common.v1 import options_pb2
from services.gateway.fields import is_internal, is_map, settable_from_text
from services.gateway.routes import Binding, RouteTable
from services.gateway.sse import unwrap

F = FieldDescriptor
_SCALARS: dict[int, dict[str, Any]] = {
    F.TYPE_STRING: {"type": "string"},
    F.TYPE_BYTES: {"type": "string", "format": "byte"},
    F.TYPE_BOOL: {"type": "boolean"},
    F.TYPE_INT32: {"type": "integer", "format": "int32"},
    F.TYPE_SINT32: {"type": "integer", "format": "int32"},
    F.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    F.TYPE_UINT32: {"type": "integer", "format": "int64", "minimum": 0},
    F.TYPE_FIXED32: {"type": "integer", "format": "int64", "minimum": 0},
    F.TYPE_INT64: {"type": "string", "format": "int64"},
    F.TYPE_SINT64: {"type": "string", "format": "int64"},
    F.TYPE_SFIXED64: {"type": "string", "format": "int64"},
    F.TYPE_UINT64: {"type": "string", "format": "uint64"},
    F.TYPE_FIXED64: {"type": "string", "format": "uint64"},
    F.TYPE_FLOAT: {"type": "number", "format": "float"},
    F.TYPE_DOUBLE: {"type": "number", "format": "double"},
}
_WKT: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "example": "1.5s"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "additionalProperties": True,
    },
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "details"],
    "properties": {
        "code": {"type": "integer", "format": "int32", "description": "gRPC status code"},
        "message": {"type": "string"},
        "details": {"type": "array", "items": _WKT["google.protobuf.Any"]},
    },
}
MAX_QUERY_DEPTH = 3


class _Builder:
    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}

    def ref(self, name: str) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/{name}"}

    def enum(self, enum: EnumDescriptor) -> dict[str, str]:
        if enum.full_name not in self.schemas:
            self.schemas[enum.full_name] = {
                "type": "string",
                "enum": [v.name for v in enum.values],
            }
        return self.ref(enum.full_name)

    def message(self, desc: Descriptor) -> dict[str, Any]:
        if desc.full_name in _WKT:
            return dict(_WKT[desc.full_name])
        if desc.full_name.startswith("google.protobuf.") and desc.full_name.endswith("Value"):
            inner = self.single(desc.fields_by_name["value"])
            return {**inner, "nullable": True}
        if desc.full_name not in self.schemas:
            self.schemas[desc.full_name] = {}  # placeholder first: messages may recurse
            props = {f.json_name: self.field(f) for f in desc.fields if not is_internal(f)}
            self.schemas[desc.full_name] = {"type": "object", "properties": props}
        return self.ref(desc.full_name)

    def single(self, field: FieldDescriptor) -> dict[str, Any]:
        if field.type == F.TYPE_ENUM:
            return self.enum(field.enum_type)
        if field.message_type is not None:
            return self.message(field.message_type)
        return dict(_SCALARS[field.type])

    def field(self, field: FieldDescriptor) -> dict[str, Any]:
        if is_map(field):
            value = self.single(field.message_type.fields_by_name["value"])
            return {"type": "object", "additionalProperties": value}
        if field.is_repeated:
            return {"type": "array", "items": self.single(field)}
        return self.single(field)

    def query_params(self, desc: Descriptor, skip: set[str], prefix: str, depth: int) -> list:
        params = []
        for f in desc.fields:
            if (not prefix and f.name in skip) or is_internal(f):
                continue
            name = prefix + f.name
            if settable_from_text(f):
                schema = self.field(f)
                param = {"name": name, "in": "query", "required": False, "schema": schema}
                if f.is_repeated:
                    param.update(style="form", explode=True)
                if f.type == F.TYPE_ENUM:
                    param["description"] = "full name, number, or the part after the prefix"
                params.append(param)
            elif f.message_type is not None and not f.is_repeated and depth < MAX_QUERY_DEPTH:
                if not f.message_type.full_name.startswith("google."):
                    nested = self.query_params(f.message_type, skip, name + ".", depth + 1)
                    params.extend(nested)
        return params

    def operation(self, b: Binding, op_id: str) -> dict[str, Any]:
        request = b.method.input_type
        params = []
        for var in b.template.variables:
            desc, field = request, None
            for part in var.field_path.split("."):
                field = desc.fields_by_name[part]
                desc = field.message_type
            params.append(
                {
                    "name": var.field_path,
                    "in": "path",
                    "required": True,
                    "schema": self.field(field),
                }
            )
        skip = {v.field_path.split(".")[0] for v in b.template.variables}
        op: dict[str, Any] = {
            "operationId": op_id,
            "tags": [b.service.rsplit(".", 1)[-1]],
            "summary": f"{b.service}.{b.method.name}",
        }
        if b.body != "*":
            params += self.query_params(request, skip | ({b.body} if b.body else set()), "", 0)
        if params:
            op["parameters"] = params
        if b.body:
            schema = (
                self.message(request)
                if b.body == "*"
                else self.field(request.fields_by_name[b.body])
            )
            op["requestBody"] = {
                "required": b.body != "*",
                "content": {"application/json": {"schema": schema}},
            }
        if b.method.GetOptions().Extensions[options_pb2.public]:
            op["security"] = []  # no token needed (register, login)
        op["responses"] = {"200": self.response(b), "default": self.error("An error")}
        return op

    def response(self, b: Binding) -> dict[str, Any]:
        out = b.method.output_type
        if b.streaming:
            inner = unwrap(b.response_cls(), b.response_body).DESCRIPTOR
            return {
                "description": f"server-sent events; each data line is one {inner.name}",
                "content": {"text/event-stream": {"schema": self.message(inner)}},
            }
        if b.response_body:
            schema = self.field(out.fields_by_name[b.response_body])
        else:
            schema = self.message(out)
        return {"description": "OK", "content": {"application/json": {"schema": schema}}}

    def error(self, description: str) -> dict[str, Any]:
        return {
            "description": description,
            "content": {"application/json": {"schema": self.ref("Error")}},
        }


def build_openapi(table: RouteTable, title: str = "Amarktai API") -> dict[str, Any]:
    builder = _Builder()
    paths: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    for b in table.bindings:
        op_id = f"{b.service.rsplit('.', 1)[-1]}_{b.method.name}"
        n = 2
        while op_id in used:
            op_id = f"{b.service.rsplit('.', 1)[-1]}_{b.method.name}_{n}"
            n += 1
        used.add(op_id)
        path = paths.setdefault(b.template.openapi_path, {})
        path[b.http_method.lower()] = builder.operation(b, op_id)
    for local, what in (
        ("/healthz", "liveness"),
        ("/readyz", "readiness: gRPC health of every downstream service"),
        ("/openapi.json", "this document"),
    ):
        paths[local] = {
            "get": {
                "operationId": local.strip("/").replace(".", "_"),
                "summary": what,
                "security": [],
                "responses": {"200": {"description": "OK"}, "503": {"description": "not ready"}},
            }
        }
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1.0.0"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(builder.schemas.items())),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{"bearerAuth": []}],
    }

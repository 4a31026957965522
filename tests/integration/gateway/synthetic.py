"""A test-only service, compiled at run time, for what the real protos do not (yet) exercise:
a server stream, an Idempotency-Key field, path variables, additional bindings, a slow call.

    package amarktai.gwtest.v1;
    service TestService {
      rpc Watch(WatchRequest) returns (stream BotEvent)       {get: "/api/test/events"}
      rpc GetThing(GetThingRequest) returns (Thing)           {get: "/api/test/things/{id}"}
      rpc GetSpecial(GetThingRequest) returns (Thing)         {get: "/api/test/things/special"}
      rpc CreateThing(CreateThingRequest) returns (Thing)     {post: "/api/test/things" body: "*"
                        additional_bindings {put: "/api/test/things/{name}" body: "*"}}
      rpc Slow(GetThingRequest) returns (Thing)               {get: "/api/test/slow"}
    }
"""

from __future__ import annotations

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import FileDescriptor

PACKAGE = "amarktai.gwtest.v1"
SERVICE = f"{PACKAGE}.TestService"
FDP = descriptor_pb2.FieldDescriptorProto
_TYPES = {
    "string": FDP.TYPE_STRING,
    "int64": FDP.TYPE_INT64,
    "int32": FDP.TYPE_INT32,
    "bool": FDP.TYPE_BOOL,
}


def _message(file: descriptor_pb2.FileDescriptorProto, name: str, fields: list[tuple]) -> None:
    msg = file.message_type.add(name=name)
    for number, (fname, ftype, *rest) in enumerate(fields, start=1):
        field = msg.field.add(name=fname, number=number)
        field.label = FDP.LABEL_REPEATED if "repeated" in rest else FDP.LABEL_OPTIONAL
        if ftype in _TYPES:
            field.type = _TYPES[ftype]
        else:
            field.type = FDP.TYPE_MESSAGE
            field.type_name = ftype


def _rpc(service, name, req, resp, rule: http_pb2.HttpRule, stream: bool = False) -> None:
    method = service.method.add(
        name=name,
        input_type=f".{PACKAGE}.{req}",
        output_type=f".{PACKAGE}.{resp}",
        server_streaming=stream,
    )
    method.options.Extensions[annotations_pb2.http].CopyFrom(rule)


def _build() -> FileDescriptor:
    pool = descriptor_pool.Default()
    try:
        return pool.FindFileByName("amarktai/gwtest/v1/gwtest.proto")
    except KeyError:
        pass
    file = descriptor_pb2.FileDescriptorProto(
        name="amarktai/gwtest/v1/gwtest.proto",
        package=PACKAGE,
        syntax="proto3",
        dependency=["google/api/annotations.proto"],
    )
    _message(
        file, "BotEvent", [("sequence", "int64"), ("bot_id", "string"), ("to_state", "string")]
    )
    _message(
        file,
        "WatchRequest",
        [("after_sequence", "int64"), ("count", "int32"), ("idle_ms", "int32"), ("fail", "bool")],
    )
    _message(file, "GetThingRequest", [("id", "string"), ("tags", "string", "repeated")])
    _message(file, "CreateThingRequest", [("idempotency_key", "string"), ("name", "string")])
    _message(
        file,
        "Thing",
        [("id", "string"), ("idempotency_key", "string"), ("tags", "string", "repeated")],
    )
    service = file.service.add(name="TestService")
    _rpc(
        service,
        "Watch",
        "WatchRequest",
        "BotEvent",
        http_pb2.HttpRule(get="/api/test/events"),
        True,
    )
    _rpc(
        service,
        "GetThing",
        "GetThingRequest",
        "Thing",
        http_pb2.HttpRule(get="/api/test/things/{id}"),
    )
    _rpc(
        service,
        "GetSpecial",
        "GetThingRequest",
        "Thing",
        http_pb2.HttpRule(get="/api/test/things/special"),
    )
    create = http_pb2.HttpRule(post="/api/test/things", body="*")
    create.additional_bindings.add(put="/api/test/things/{name}", body="*")
    _rpc(service, "CreateThing", "CreateThingRequest", "Thing", create)
    _rpc(service, "Slow", "GetThingRequest", "Thing", http_pb2.HttpRule(get="/api/test/slow"))
    return pool.AddSerializedFile(file.SerializeToString())


FILE = _build()


def cls(name: str) -> type:
    return message_factory.GetMessageClass(FILE.message_types_by_name[name])


BotEvent = cls("BotEvent")
WatchRequest = cls("WatchRequest")
GetThingRequest = cls("GetThingRequest")
CreateThingRequest = cls("CreateThingRequest")
Thing = cls("Thing")

"""The route table, built only from the `google.api.http` options of the compiled protos.

Every module ``amarktai/<svc>/v1/*_pb2.py`` on disk is imported; each method of each service
that carries an http rule (and its ``additional_bindings``) becomes one Binding. A request is
matched to the most specific template among those with its HTTP method; a path that some
template matches under another method is 405, any other path 404.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from google.api import annotations_pb2, http_pb2
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FileDescriptor, MethodDescriptor

from services.gateway.template import LITERAL, PathTemplate, TemplateError, parse_template

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Binding:
    """One HTTP route bound to one RPC."""

    http_method: str  # "GET", "POST", ...
    template: PathTemplate
    body: str  # "" (no body), "*" (the whole request) or a top-level field name
    response_body: str  # "" (the whole response) or a top-level field name
    service: str  # full name, e.g. amarktai.ledger.v1.LedgerService
    domain: str  # the service's short name, e.g. ledger (its address is <DOMAIN>_ADDR)
    method: MethodDescriptor

    @property
    def grpc_path(self) -> str:
        return f"/{self.service}/{self.method.name}"

    @property
    def streaming(self) -> bool:
        return self.method.server_streaming

    @property
    def request_cls(self) -> type:
        return message_factory.GetMessageClass(self.method.input_type)

    @property
    def response_cls(self) -> type:
        return message_factory.GetMessageClass(self.method.output_type)

    @property
    def path_fields(self) -> frozenset[str]:
        return frozenset(v.field_path for v in self.template.variables)


class NoRoute(Exception):
    pass


class MethodNotAllowed(Exception):
    def __init__(self, allowed: Sequence[str]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = tuple(allowed)


def domain_of(service_full_name: str) -> str:
    """amarktai.ledger.v1.LedgerService -> ledger (the package part before its version)."""
    parts = service_full_name.split(".")[:-1]
    if len(parts) >= 2 and parts[-1][:1] == "v" and parts[-1][1:2].isdigit():
        return parts[-2]
    return parts[-1] if parts else service_full_name


def import_generated(package: str = "amarktai") -> list[ModuleType]:
    """Import every ``<package>/<svc>/v1/*_pb2.py`` found on disk (new services included)."""
    root = importlib.import_module(package)
    modules = []
    for base in sorted(set(root.__path__)):
        for path in sorted(Path(base).glob("*/v*/*_pb2.py")):
            rel = path.relative_to(base).with_suffix("")
            modules.append(importlib.import_module(".".join((package, *rel.parts))))
    return modules


class RouteTable:
    def __init__(self, bindings: Iterable[Binding]) -> None:
        self.bindings = tuple(bindings)
        seen: dict[tuple, Binding] = {}
        for b in self.bindings:
            key = (b.http_method, b.template.segments, b.template.verb)
            if key in seen:
                other = seen[key]
                raise TemplateError(
                    f"{b.http_method} {b.template.text} is bound to both "
                    f"{other.grpc_path} and {b.grpc_path}"
                )
            seen[key] = b
        # the routes with no variable (most of them, the order route among them): found by
        # their exact path at once; a path written otherwise (percent-encoded) is matched below
        self._exact = {
            (b.http_method, b.template.openapi_path): b
            for b in self.bindings
            if all(kind == LITERAL for kind, _ in b.template.segments)
        }

    @classmethod
    def discover(cls, package: str = "amarktai") -> RouteTable:
        return cls.from_files(m.DESCRIPTOR for m in import_generated(package))

    @classmethod
    def from_files(cls, files: Iterable[FileDescriptor]) -> RouteTable:
        bindings: list[Binding] = []
        for file in files:
            for service in file.services_by_name.values():
                for method in service.methods:
                    bindings.extend(bindings_of(service.full_name, method))
        return cls(bindings)

    @property
    def services(self) -> dict[str, str]:
        """Full service name -> domain, for every service with at least one route."""
        return {b.service: b.domain for b in self.bindings}

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.services.values())))

    def match(self, http_method: str, raw_path: str) -> tuple[Binding, dict[str, str]]:
        """The best binding for this method and percent-encoded path, and its variables."""
        exact = self._exact.get((http_method, raw_path))
        if exact is not None:  # all literal: no other template is as specific
            return exact, {}
        best: tuple[Binding, dict[str, str]] | None = None
        allowed: set[str] = set()
        for b in self.bindings:
            values = b.template.match(raw_path)
            if values is None:
                continue
            allowed.add(b.http_method)
            if b.http_method != http_method:
                continue
            if best is None or b.template.specificity < best[0].template.specificity:
                best = (b, values)
        if best is not None:
            return best
        if allowed:
            raise MethodNotAllowed(sorted(allowed))
        raise NoRoute()


def bindings_of(service: str, method: MethodDescriptor) -> list[Binding]:
    opts = method.GetOptions()
    if not opts.HasExtension(annotations_pb2.http):
        return []
    rule = opts.Extensions[annotations_pb2.http]
    rules = [rule, *rule.additional_bindings]
    where = f"{service}.{method.name}"
    if method.client_streaming:
        raise TemplateError(f"{where}: client streaming RPCs cannot be served over HTTP")
    return [_binding(service, method, r, where) for r in rules]


def _binding(service: str, method: MethodDescriptor, rule: http_pb2.HttpRule, where: str):
    kind = rule.WhichOneof("pattern")
    if kind is None:
        raise TemplateError(f"{where}: http rule without a pattern")
    if kind == "custom":
        http_method, text = rule.custom.kind.upper(), rule.custom.path
    else:
        http_method, text = kind.upper(), getattr(rule, kind)
    try:
        template = parse_template(text)
    except TemplateError as exc:
        raise TemplateError(f"{where}: {exc}") from None
    request = method.input_type
    for var in template.variables:
        _check_path_field(request, var.field_path, where)
    if rule.body not in ("", "*") and rule.body not in request.fields_by_name:
        raise TemplateError(f"{where}: body field {rule.body!r} is not in {request.full_name}")
    if rule.response_body and rule.response_body not in method.output_type.fields_by_name:
        raise TemplateError(f"{where}: response_body {rule.response_body!r} is not a field")
    return Binding(
        http_method=http_method,
        template=template,
        body=rule.body,
        response_body=rule.response_body,
        service=service,
        domain=domain_of(service),
        method=method,
    )


def _check_path_field(message: Descriptor, field_path: str, where: str) -> None:
    names = field_path.split(".")
    for i, name in enumerate(names):
        field = message.fields_by_name.get(name)
        if field is None:
            raise TemplateError(f"{where}: path variable {field_path!r} is not a request field")
        last = i == len(names) - 1
        if (
            field.is_repeated
            or (last and field.message_type is not None)
            or (not last and field.message_type is None)
        ):
            raise TemplateError(f"{where}: path variable {field_path!r} must name a single value")
        message = field.message_type

"""OpenTelemetry wiring, explicit: a provider built at start and passed to every part.

The standard variables decide export: OTEL_TRACES_EXPORTER (otlp | console | none) and
OTEL_EXPORTER_OTLP_ENDPOINT. With no endpoint set, nothing is sent.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping

from opentelemetry.instrumentation.grpc import aio_client_interceptors, aio_server_interceptor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)

from services.common.settings import Env, SettingsError

# Providers that send their spans somewhere. Only these get a span per SQL statement: with
# nothing exporting, those spans would cost CPU on every statement and nobody would see them.
_EXPORTING: weakref.WeakSet[TracerProvider] = weakref.WeakSet()


def make_tracer_provider(
    default_service_name: str,
    env: Mapping[str, str] | None = None,
    exporter: SpanExporter | None = None,
) -> TracerProvider:
    """A provider for one service; ``exporter`` (tests) replaces what the environment says."""
    e = Env(env)
    name = e.str("OTEL_SERVICE_NAME", default_service_name) or default_service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
        _EXPORTING.add(provider)
        return provider
    kind = e.choice("OTEL_TRACES_EXPORTER", "otlp", ("otlp", "console", "none"))
    if kind == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        _EXPORTING.add(provider)
    elif kind == "otlp":
        endpoint = e.str("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or e.str(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        if endpoint:
            if "://" not in endpoint:
                raise SettingsError("OTEL_EXPORTER_OTLP_ENDPOINT", "must be a URL")
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(
                BatchSpanProcessor(
                    OTLPSpanExporter(endpoint=endpoint, insecure=endpoint.startswith("http://"))
                )
            )
            _EXPORTING.add(provider)
    return provider


def server_interceptor(provider: TracerProvider):
    return aio_server_interceptor(tracer_provider=provider)


def client_interceptors(provider: TracerProvider):
    return aio_client_interceptors(tracer_provider=provider)


def instrument_engine(engine, provider: TracerProvider) -> None:
    """Database spans for every statement of this engine, when the provider exports spans."""
    if provider not in _EXPORTING:
        return
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().instrument(engine=engine, tracer_provider=provider)

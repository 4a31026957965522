"""OpenTelemetry wiring, explicit: a provider built at start and passed to every part.

The standard variables decide export: OTEL_TRACES_EXPORTER (otlp | console | none) and
OTEL_EXPORTER_OTLP_ENDPOINT. With no endpoint set, nothing is sent.

A provider that exports nothing records nothing either (its sampler drops every span): its
spans still have their trace and span ids, so a request's trace id is still known (an order
keeps it), taken from the caller's ``traceparent`` and passed on to the services it calls, but
no attribute, event or timing is kept for spans that nobody will see. A provider that exports
records every span, including those under a remote parent marked "not sampled" (a caller that
does not export marks its spans so); under a local parent it follows the parent.
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
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased

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
    resource = Resource.create({SERVICE_NAME: name})
    if exporter is None:
        exporter = _configured_exporter(e)
    if exporter is None:
        return TracerProvider(resource=resource, sampler=ALWAYS_OFF)
    provider = TracerProvider(resource=resource, sampler=EXPORTING_SAMPLER)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    _EXPORTING.add(provider)
    return provider


# Record every span, except under a local parent that is not recorded.
EXPORTING_SAMPLER = ParentBased(ALWAYS_ON, remote_parent_not_sampled=ALWAYS_ON)


def _configured_exporter(e: Env) -> SpanExporter | None:
    kind = e.choice("OTEL_TRACES_EXPORTER", "otlp", ("otlp", "console", "none"))
    if kind == "console":
        return ConsoleSpanExporter()
    if kind == "otlp":
        endpoint = e.str("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or e.str(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        if endpoint:
            if "://" not in endpoint:
                raise SettingsError("OTEL_EXPORTER_OTLP_ENDPOINT", "must be a URL")
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            return OTLPSpanExporter(endpoint=endpoint, insecure=endpoint.startswith("http://"))
    return None


def server_interceptor(provider: TracerProvider):
    return aio_server_interceptor(tracer_provider=provider)


def client_interceptors(provider: TracerProvider):
    return aio_client_interceptors(tracer_provider=provider)


def instrument_engine(engine, provider: TracerProvider) -> None:
    """Database spans for every statement of this engine, when the provider exports spans."""
    if provider not in _EXPORTING:
        return
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    from services.common.db import trace_batches

    SQLAlchemyInstrumentor().instrument(engine=engine, tracer_provider=provider)
    trace_batches(engine, provider.get_tracer("amarktai.db"))

"""A minimal OTLP/gRPC trace receiver for the orders benchmark: it keeps the orders service's
SubmitOrder server spans, gate spans and execute spans with their start and end times, so the
benchmark can measure the four gates' own time per order (tests/e2e/otlp.py keeps no times)."""

from __future__ import annotations

import statistics
import threading
from collections import defaultdict
from concurrent import futures
from dataclasses import dataclass

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

GATES = ("gate.idempotency", "gate.fee_coverage", "gate.trade_limit", "gate.circuit_breaker")
SUBMIT = "/amarktai.orders.v1.OrderService/SubmitOrder"
EVALUATE = "breaker.evaluate"  # the breaker's figures waited for and evaluated, before gate A
KEPT = (*GATES, EVALUATE, "execute", SUBMIT)


@dataclass(frozen=True)
class TimedSpan:
    name: str
    trace_id: str
    start_ns: int
    end_ns: int

    @property
    def seconds(self) -> float:
        return (self.end_ns - self.start_ns) / 1e9


class SpanReceiver(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.spans: list[TimedSpan] = []
        self._lock = threading.Lock()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(self, self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:0")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def Export(self, request, context):  # noqa: N802 (gRPC method name)
        kept = [
            TimedSpan(s.name, s.trace_id.hex(), s.start_time_unix_nano, s.end_time_unix_nano)
            for rs in request.resource_spans
            for ss in rs.scope_spans
            for s in ss.spans
            if s.name in KEPT
        ]
        with self._lock:
            self.spans.extend(kept)
        return trace_service_pb2.ExportTraceServiceResponse()

    def by_trace(self) -> dict[str, dict[str, float]]:
        """trace id -> span name -> seconds, for the traces that have all four gates."""
        out: dict[str, dict[str, float]] = defaultdict(dict)
        with self._lock:
            for s in self.spans:
                out[s.trace_id][s.name] = s.seconds
        return {t: spans for t, spans in out.items() if all(g in spans for g in GATES)}

    def __enter__(self) -> SpanReceiver:
        self.server.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.stop(None)


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000

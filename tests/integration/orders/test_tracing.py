"""One order is one trace: the server span, a child span per gate with its decision and
figures, the execution span, and the ledger call; the order keeps the trace id."""

from __future__ import annotations

from opentelemetry.trace import SpanKind

from tests.integration.orders.helpers import user


async def test_gate_spans_are_children_of_the_submit_span(h):
    u = user()
    bot = await h.bot(u)
    h.exporter.clear()
    order = await h.submit(u, bot)
    h.app.peers  # noqa: B018 - spans are exported synchronously (SimpleSpanProcessor)
    spans = h.exporter.get_finished_spans()
    [server] = [s for s in spans if s.name == "/amarktai.orders.v1.OrderService/SubmitOrder"]
    assert format(server.context.trace_id, "032x") == order.trace_id
    gates = [s for s in spans if s.name.startswith("gate.")]
    assert [s.name for s in gates] == [
        "gate.idempotency", "gate.fee_coverage", "gate.trade_limit", "gate.circuit_breaker",
    ]  # fmt: skip
    for s in gates:
        assert s.parent.span_id == server.context.span_id
        assert s.attributes["order.id"] == order.id
        assert s.attributes["decision"] == "pass"
    fee = gates[1]
    assert fee.attributes["gate"] == "FEE_COVERAGE"
    assert fee.attributes["figure.cost_bps"] == "32"
    # the breaker's evaluation comes before gate A; the paper fill after gate D, in the
    # order's transaction; the execution span (the fill's delivery) after both
    [evaluate] = [s for s in spans if s.name == "breaker.evaluate"]
    [fill] = [s for s in spans if s.name == "paper.fill"]
    [execute] = [s for s in spans if s.name == "execute"]
    for s in (evaluate, fill, execute):
        assert s.parent.span_id == server.context.span_id
        assert s.attributes["order.id"] == order.id
    assert evaluate.end_time <= gates[0].start_time
    assert gates[-1].end_time <= fill.start_time and fill.end_time <= execute.start_time
    assert execute.attributes["mode"] == "PAPER" and execute.attributes["exchange"] == "binance"
    record = [s for s in spans if s.name.endswith("LedgerService/RecordFill")]
    assert record and all(s.context.trace_id == server.context.trace_id for s in record)
    # the ledger is asked for the breaker's figures once (gate D): the evaluation after the
    # fill takes them from the fill's own RecordFill answer
    calls = [s for s in spans if s.kind == SpanKind.CLIENT and "LedgerService/" in s.name]
    assert sorted(s.name.rsplit("/", 1)[1] for s in calls) == ["GetRiskMetrics", "RecordFill"]

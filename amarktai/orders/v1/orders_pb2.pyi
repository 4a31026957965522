import datetime

from amarktai.common.v1 import options_pb2 as _options_pb2
from amarktai.common.v1 import trading_pb2 as _trading_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATE_UNSPECIFIED: _ClassVar[OrderState]
    ORDER_STATE_RECEIVED: _ClassVar[OrderState]
    ORDER_STATE_REJECTED: _ClassVar[OrderState]
    ORDER_STATE_ACCEPTED: _ClassVar[OrderState]
    ORDER_STATE_SUBMITTED: _ClassVar[OrderState]
    ORDER_STATE_PARTIALLY_FILLED: _ClassVar[OrderState]
    ORDER_STATE_FILLED: _ClassVar[OrderState]
    ORDER_STATE_CANCELED: _ClassVar[OrderState]
    ORDER_STATE_FAILED: _ClassVar[OrderState]

class Gate(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GATE_UNSPECIFIED: _ClassVar[Gate]
    GATE_IDEMPOTENCY: _ClassVar[Gate]
    GATE_FEE_COVERAGE: _ClassVar[Gate]
    GATE_TRADE_LIMIT: _ClassVar[Gate]
    GATE_CIRCUIT_BREAKER: _ClassVar[Gate]

class OrderMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_MODE_UNSPECIFIED: _ClassVar[OrderMode]
    ORDER_MODE_PAPER: _ClassVar[OrderMode]
    ORDER_MODE_LIVE: _ClassVar[OrderMode]

class BreakerScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BREAKER_SCOPE_UNSPECIFIED: _ClassVar[BreakerScope]
    BREAKER_SCOPE_ACCOUNT: _ClassVar[BreakerScope]
    BREAKER_SCOPE_BOT: _ClassVar[BreakerScope]

class BreakerTrigger(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BREAKER_TRIGGER_UNSPECIFIED: _ClassVar[BreakerTrigger]
    BREAKER_TRIGGER_DRAWDOWN: _ClassVar[BreakerTrigger]
    BREAKER_TRIGGER_DAILY_LOSS: _ClassVar[BreakerTrigger]
    BREAKER_TRIGGER_CONSECUTIVE_LOSSES: _ClassVar[BreakerTrigger]
    BREAKER_TRIGGER_ERROR_RATE: _ClassVar[BreakerTrigger]

class BreakerEventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BREAKER_EVENT_KIND_UNSPECIFIED: _ClassVar[BreakerEventKind]
    BREAKER_EVENT_KIND_TRIP: _ClassVar[BreakerEventKind]
    BREAKER_EVENT_KIND_RESET: _ClassVar[BreakerEventKind]
ORDER_STATE_UNSPECIFIED: OrderState
ORDER_STATE_RECEIVED: OrderState
ORDER_STATE_REJECTED: OrderState
ORDER_STATE_ACCEPTED: OrderState
ORDER_STATE_SUBMITTED: OrderState
ORDER_STATE_PARTIALLY_FILLED: OrderState
ORDER_STATE_FILLED: OrderState
ORDER_STATE_CANCELED: OrderState
ORDER_STATE_FAILED: OrderState
GATE_UNSPECIFIED: Gate
GATE_IDEMPOTENCY: Gate
GATE_FEE_COVERAGE: Gate
GATE_TRADE_LIMIT: Gate
GATE_CIRCUIT_BREAKER: Gate
ORDER_MODE_UNSPECIFIED: OrderMode
ORDER_MODE_PAPER: OrderMode
ORDER_MODE_LIVE: OrderMode
BREAKER_SCOPE_UNSPECIFIED: BreakerScope
BREAKER_SCOPE_ACCOUNT: BreakerScope
BREAKER_SCOPE_BOT: BreakerScope
BREAKER_TRIGGER_UNSPECIFIED: BreakerTrigger
BREAKER_TRIGGER_DRAWDOWN: BreakerTrigger
BREAKER_TRIGGER_DAILY_LOSS: BreakerTrigger
BREAKER_TRIGGER_CONSECUTIVE_LOSSES: BreakerTrigger
BREAKER_TRIGGER_ERROR_RATE: BreakerTrigger
BREAKER_EVENT_KIND_UNSPECIFIED: BreakerEventKind
BREAKER_EVENT_KIND_TRIP: BreakerEventKind
BREAKER_EVENT_KIND_RESET: BreakerEventKind

class GateResult(_message.Message):
    __slots__ = ("gate", "passed", "reason", "figures", "code")
    class FiguresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    GATE_FIELD_NUMBER: _ClassVar[int]
    PASSED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    gate: Gate
    passed: bool
    reason: str
    figures: _containers.ScalarMap[str, str]
    code: str
    def __init__(self, gate: _Optional[_Union[Gate, str]] = ..., passed: _Optional[bool] = ..., reason: _Optional[str] = ..., figures: _Optional[_Mapping[str, str]] = ..., code: _Optional[str] = ...) -> None: ...

class Rejection(_message.Message):
    __slots__ = ("gate", "reason", "retry_after_seconds", "code")
    GATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    gate: Gate
    reason: str
    retry_after_seconds: int
    code: str
    def __init__(self, gate: _Optional[_Union[Gate, str]] = ..., reason: _Optional[str] = ..., retry_after_seconds: _Optional[int] = ..., code: _Optional[str] = ...) -> None: ...

class OrderFill(_message.Message):
    __slots__ = ("fill_id", "amount", "price", "fee", "fee_currency", "expected_price", "slippage_bps", "expected_fee_bps", "fee_bps", "executed_at", "trade_id")
    FILL_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    FEE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_PRICE_FIELD_NUMBER: _ClassVar[int]
    SLIPPAGE_BPS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FEE_BPS_FIELD_NUMBER: _ClassVar[int]
    FEE_BPS_FIELD_NUMBER: _ClassVar[int]
    EXECUTED_AT_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    fill_id: str
    amount: str
    price: str
    fee: str
    fee_currency: str
    expected_price: str
    slippage_bps: str
    expected_fee_bps: str
    fee_bps: str
    executed_at: _timestamp_pb2.Timestamp
    trade_id: str
    def __init__(self, fill_id: _Optional[str] = ..., amount: _Optional[str] = ..., price: _Optional[str] = ..., fee: _Optional[str] = ..., fee_currency: _Optional[str] = ..., expected_price: _Optional[str] = ..., slippage_bps: _Optional[str] = ..., expected_fee_bps: _Optional[str] = ..., fee_bps: _Optional[str] = ..., executed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trade_id: _Optional[str] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("id", "idempotency_key", "bot_id", "exchange", "symbol", "side", "type", "amount", "price", "expected_edge_bps", "reduce_only", "state", "replayed", "gates", "rejection", "fills", "trace_id", "created_at", "updated_at", "mode", "client_order_id", "exchange_order_id", "filled_amount", "average_price", "state_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_EDGE_BPS_FIELD_NUMBER: _ClassVar[int]
    REDUCE_ONLY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    GATES_FIELD_NUMBER: _ClassVar[int]
    REJECTION_FIELD_NUMBER: _ClassVar[int]
    FILLS_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    FILLED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_PRICE_FIELD_NUMBER: _ClassVar[int]
    STATE_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    idempotency_key: str
    bot_id: str
    exchange: str
    symbol: str
    side: _trading_pb2.Side
    type: _trading_pb2.OrderType
    amount: str
    price: str
    expected_edge_bps: str
    reduce_only: bool
    state: OrderState
    replayed: bool
    gates: _containers.RepeatedCompositeFieldContainer[GateResult]
    rejection: Rejection
    fills: _containers.RepeatedCompositeFieldContainer[OrderFill]
    trace_id: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    mode: OrderMode
    client_order_id: str
    exchange_order_id: str
    filled_amount: str
    average_price: str
    state_reason: str
    def __init__(self, id: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., bot_id: _Optional[str] = ..., exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[_trading_pb2.Side, str]] = ..., type: _Optional[_Union[_trading_pb2.OrderType, str]] = ..., amount: _Optional[str] = ..., price: _Optional[str] = ..., expected_edge_bps: _Optional[str] = ..., reduce_only: _Optional[bool] = ..., state: _Optional[_Union[OrderState, str]] = ..., replayed: _Optional[bool] = ..., gates: _Optional[_Iterable[_Union[GateResult, _Mapping]]] = ..., rejection: _Optional[_Union[Rejection, _Mapping]] = ..., fills: _Optional[_Iterable[_Union[OrderFill, _Mapping]]] = ..., trace_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., mode: _Optional[_Union[OrderMode, str]] = ..., client_order_id: _Optional[str] = ..., exchange_order_id: _Optional[str] = ..., filled_amount: _Optional[str] = ..., average_price: _Optional[str] = ..., state_reason: _Optional[str] = ...) -> None: ...

class SubmitOrderRequest(_message.Message):
    __slots__ = ("idempotency_key", "bot_id", "exchange", "symbol", "side", "type", "amount", "price", "expected_edge_bps", "reduce_only")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_EDGE_BPS_FIELD_NUMBER: _ClassVar[int]
    REDUCE_ONLY_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    bot_id: str
    exchange: str
    symbol: str
    side: _trading_pb2.Side
    type: _trading_pb2.OrderType
    amount: str
    price: str
    expected_edge_bps: str
    reduce_only: bool
    def __init__(self, idempotency_key: _Optional[str] = ..., bot_id: _Optional[str] = ..., exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[_trading_pb2.Side, str]] = ..., type: _Optional[_Union[_trading_pb2.OrderType, str]] = ..., amount: _Optional[str] = ..., price: _Optional[str] = ..., expected_edge_bps: _Optional[str] = ..., reduce_only: _Optional[bool] = ...) -> None: ...

class SubmitOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class ListPendingOrdersRequest(_message.Message):
    __slots__ = ("bot_id", "page_size", "page_token")
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    bot_id: str
    page_size: int
    page_token: str
    def __init__(self, bot_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPendingOrdersResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Order]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("bot_id", "state", "page_size", "page_token")
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    bot_id: str
    state: OrderState
    page_size: int
    page_token: str
    def __init__(self, bot_id: _Optional[str] = ..., state: _Optional[_Union[OrderState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Order]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class BreakerMetrics(_message.Message):
    __slots__ = ("drawdown", "daily_loss", "consecutive_losses", "errors_last_hour", "equity", "peak", "day_start_equity")
    DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    DAILY_LOSS_FIELD_NUMBER: _ClassVar[int]
    CONSECUTIVE_LOSSES_FIELD_NUMBER: _ClassVar[int]
    ERRORS_LAST_HOUR_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    PEAK_FIELD_NUMBER: _ClassVar[int]
    DAY_START_EQUITY_FIELD_NUMBER: _ClassVar[int]
    drawdown: str
    daily_loss: str
    consecutive_losses: int
    errors_last_hour: int
    equity: str
    peak: str
    day_start_equity: str
    def __init__(self, drawdown: _Optional[str] = ..., daily_loss: _Optional[str] = ..., consecutive_losses: _Optional[int] = ..., errors_last_hour: _Optional[int] = ..., equity: _Optional[str] = ..., peak: _Optional[str] = ..., day_start_equity: _Optional[str] = ...) -> None: ...

class BreakerStatus(_message.Message):
    __slots__ = ("scope", "bot_id", "tripped", "trigger", "reason", "metrics", "tripped_at", "reset_at")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    TRIPPED_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    TRIPPED_AT_FIELD_NUMBER: _ClassVar[int]
    RESET_AT_FIELD_NUMBER: _ClassVar[int]
    scope: BreakerScope
    bot_id: str
    tripped: bool
    trigger: BreakerTrigger
    reason: str
    metrics: BreakerMetrics
    tripped_at: _timestamp_pb2.Timestamp
    reset_at: _timestamp_pb2.Timestamp
    def __init__(self, scope: _Optional[_Union[BreakerScope, str]] = ..., bot_id: _Optional[str] = ..., tripped: _Optional[bool] = ..., trigger: _Optional[_Union[BreakerTrigger, str]] = ..., reason: _Optional[str] = ..., metrics: _Optional[_Union[BreakerMetrics, _Mapping]] = ..., tripped_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reset_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetBreakerStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetBreakerStatusResponse(_message.Message):
    __slots__ = ("items", "max_drawdown", "max_daily_loss", "max_consecutive_losses", "max_errors_per_hour")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    MAX_DAILY_LOSS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONSECUTIVE_LOSSES_FIELD_NUMBER: _ClassVar[int]
    MAX_ERRORS_PER_HOUR_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[BreakerStatus]
    max_drawdown: str
    max_daily_loss: str
    max_consecutive_losses: int
    max_errors_per_hour: int
    def __init__(self, items: _Optional[_Iterable[_Union[BreakerStatus, _Mapping]]] = ..., max_drawdown: _Optional[str] = ..., max_daily_loss: _Optional[str] = ..., max_consecutive_losses: _Optional[int] = ..., max_errors_per_hour: _Optional[int] = ...) -> None: ...

class ResetBreakerRequest(_message.Message):
    __slots__ = ("bot_id", "reason", "totp_code")
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TOTP_CODE_FIELD_NUMBER: _ClassVar[int]
    bot_id: str
    reason: str
    totp_code: str
    def __init__(self, bot_id: _Optional[str] = ..., reason: _Optional[str] = ..., totp_code: _Optional[str] = ...) -> None: ...

class ResetBreakerResponse(_message.Message):
    __slots__ = ("item", "bots_cleared")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    BOTS_CLEARED_FIELD_NUMBER: _ClassVar[int]
    item: BreakerStatus
    bots_cleared: int
    def __init__(self, item: _Optional[_Union[BreakerStatus, _Mapping]] = ..., bots_cleared: _Optional[int] = ...) -> None: ...

class BreakerEvent(_message.Message):
    __slots__ = ("id", "kind", "scope", "bot_id", "trigger", "reason", "metrics", "at")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    kind: BreakerEventKind
    scope: BreakerScope
    bot_id: str
    trigger: BreakerTrigger
    reason: str
    metrics: BreakerMetrics
    at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., kind: _Optional[_Union[BreakerEventKind, str]] = ..., scope: _Optional[_Union[BreakerScope, str]] = ..., bot_id: _Optional[str] = ..., trigger: _Optional[_Union[BreakerTrigger, str]] = ..., reason: _Optional[str] = ..., metrics: _Optional[_Union[BreakerMetrics, _Mapping]] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetBreakerHistoryRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetBreakerHistoryResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[BreakerEvent]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[BreakerEvent, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class LimitStatus(_message.Message):
    __slots__ = ("name", "used", "capacity", "resets_at", "bot_id", "exchange")
    NAME_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    RESETS_AT_FIELD_NUMBER: _ClassVar[int]
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    used: int
    capacity: int
    resets_at: _timestamp_pb2.Timestamp
    bot_id: str
    exchange: str
    def __init__(self, name: _Optional[str] = ..., used: _Optional[int] = ..., capacity: _Optional[int] = ..., resets_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., bot_id: _Optional[str] = ..., exchange: _Optional[str] = ...) -> None: ...

class GetLimitsStatusRequest(_message.Message):
    __slots__ = ("bot_id", "exchange")
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    bot_id: str
    exchange: str
    def __init__(self, bot_id: _Optional[str] = ..., exchange: _Optional[str] = ...) -> None: ...

class GetLimitsStatusResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[LimitStatus]
    def __init__(self, items: _Optional[_Iterable[_Union[LimitStatus, _Mapping]]] = ...) -> None: ...

class GetTickerRequest(_message.Message):
    __slots__ = ("exchange", "symbol")
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    exchange: str
    symbol: str
    def __init__(self, exchange: _Optional[str] = ..., symbol: _Optional[str] = ...) -> None: ...

class GetTickerResponse(_message.Message):
    __slots__ = ("exchange", "symbol", "bid", "ask", "last", "at")
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    BID_FIELD_NUMBER: _ClassVar[int]
    ASK_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    exchange: str
    symbol: str
    bid: str
    ask: str
    last: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., bid: _Optional[str] = ..., ask: _Optional[str] = ..., last: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Candle(_message.Message):
    __slots__ = ("open_time", "open", "high", "low", "close", "volume")
    OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    open_time: _timestamp_pb2.Timestamp
    open: str
    high: str
    low: str
    close: str
    volume: str
    def __init__(self, open_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., open: _Optional[str] = ..., high: _Optional[str] = ..., low: _Optional[str] = ..., close: _Optional[str] = ..., volume: _Optional[str] = ...) -> None: ...

class GetCandlesRequest(_message.Message):
    __slots__ = ("exchange", "symbol", "timeframe", "limit")
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    exchange: str
    symbol: str
    timeframe: str
    limit: int
    def __init__(self, exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., timeframe: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class GetCandlesResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Candle]
    def __init__(self, items: _Optional[_Iterable[_Union[Candle, _Mapping]]] = ...) -> None: ...

class SubmitOrderBatchRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[SubmitOrderBatchItem]
    def __init__(self, items: _Optional[_Iterable[_Union[SubmitOrderBatchItem, _Mapping]]] = ...) -> None: ...

class SubmitOrderBatchItem(_message.Message):
    __slots__ = ("access_token", "traceparent", "request")
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TRACEPARENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    traceparent: str
    request: SubmitOrderRequest
    def __init__(self, access_token: _Optional[str] = ..., traceparent: _Optional[str] = ..., request: _Optional[_Union[SubmitOrderRequest, _Mapping]] = ...) -> None: ...

class SubmitOrderBatchResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SubmitOrderBatchResult]
    def __init__(self, results: _Optional[_Iterable[_Union[SubmitOrderBatchResult, _Mapping]]] = ...) -> None: ...

class SubmitOrderBatchResult(_message.Message):
    __slots__ = ("response", "error")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    response: SubmitOrderResponse
    error: _status_pb2.Status
    def __init__(self, response: _Optional[_Union[SubmitOrderResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

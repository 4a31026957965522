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

class FillSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FILL_SOURCE_UNSPECIFIED: _ClassVar[FillSource]
    FILL_SOURCE_PAPER: _ClassVar[FillSource]
    FILL_SOURCE_LIVE: _ClassVar[FillSource]
    FILL_SOURCE_MANUAL: _ClassVar[FillSource]

class LedgerEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEDGER_EVENT_TYPE_UNSPECIFIED: _ClassVar[LedgerEventType]
    LEDGER_EVENT_TYPE_FUNDING: _ClassVar[LedgerEventType]
    LEDGER_EVENT_TYPE_WITHDRAWAL: _ClassVar[LedgerEventType]
    LEDGER_EVENT_TYPE_TRANSFER: _ClassVar[LedgerEventType]
    LEDGER_EVENT_TYPE_ALLOCATION: _ClassVar[LedgerEventType]
    LEDGER_EVENT_TYPE_ADJUSTMENT: _ClassVar[LedgerEventType]

class ProfitPeriod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROFIT_PERIOD_UNSPECIFIED: _ClassVar[ProfitPeriod]
    PROFIT_PERIOD_DAILY: _ClassVar[ProfitPeriod]
    PROFIT_PERIOD_WEEKLY: _ClassVar[ProfitPeriod]
    PROFIT_PERIOD_MONTHLY: _ClassVar[ProfitPeriod]
FILL_SOURCE_UNSPECIFIED: FillSource
FILL_SOURCE_PAPER: FillSource
FILL_SOURCE_LIVE: FillSource
FILL_SOURCE_MANUAL: FillSource
LEDGER_EVENT_TYPE_UNSPECIFIED: LedgerEventType
LEDGER_EVENT_TYPE_FUNDING: LedgerEventType
LEDGER_EVENT_TYPE_WITHDRAWAL: LedgerEventType
LEDGER_EVENT_TYPE_TRANSFER: LedgerEventType
LEDGER_EVENT_TYPE_ALLOCATION: LedgerEventType
LEDGER_EVENT_TYPE_ADJUSTMENT: LedgerEventType
PROFIT_PERIOD_UNSPECIFIED: ProfitPeriod
PROFIT_PERIOD_DAILY: ProfitPeriod
PROFIT_PERIOD_WEEKLY: ProfitPeriod
PROFIT_PERIOD_MONTHLY: ProfitPeriod

class Fill(_message.Message):
    __slots__ = ("fill_id", "bot_id", "exchange", "symbol", "side", "amount", "price", "fee", "fee_currency", "fee_quote", "executed_at", "order_id", "source", "sequence", "hash", "realized_pnl", "net_pnl", "recorded_at")
    FILL_ID_FIELD_NUMBER: _ClassVar[int]
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    FEE_CURRENCY_FIELD_NUMBER: _ClassVar[int]
    FEE_QUOTE_FIELD_NUMBER: _ClassVar[int]
    EXECUTED_AT_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    NET_PNL_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    fill_id: str
    bot_id: str
    exchange: str
    symbol: str
    side: _trading_pb2.Side
    amount: str
    price: str
    fee: str
    fee_currency: str
    fee_quote: str
    executed_at: _timestamp_pb2.Timestamp
    order_id: str
    source: FillSource
    sequence: int
    hash: str
    realized_pnl: str
    net_pnl: str
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, fill_id: _Optional[str] = ..., bot_id: _Optional[str] = ..., exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[_trading_pb2.Side, str]] = ..., amount: _Optional[str] = ..., price: _Optional[str] = ..., fee: _Optional[str] = ..., fee_currency: _Optional[str] = ..., fee_quote: _Optional[str] = ..., executed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., order_id: _Optional[str] = ..., source: _Optional[_Union[FillSource, str]] = ..., sequence: _Optional[int] = ..., hash: _Optional[str] = ..., realized_pnl: _Optional[str] = ..., net_pnl: _Optional[str] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LedgerEvent(_message.Message):
    __slots__ = ("event_id", "type", "amount", "currency", "bot_id", "description", "occurred_at", "corrects", "sequence", "hash", "recorded_at")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CORRECTS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    type: LedgerEventType
    amount: str
    currency: str
    bot_id: str
    description: str
    occurred_at: _timestamp_pb2.Timestamp
    corrects: str
    sequence: int
    hash: str
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[str] = ..., type: _Optional[_Union[LedgerEventType, str]] = ..., amount: _Optional[str] = ..., currency: _Optional[str] = ..., bot_id: _Optional[str] = ..., description: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., corrects: _Optional[str] = ..., sequence: _Optional[int] = ..., hash: _Optional[str] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordFillRequest(_message.Message):
    __slots__ = ("fill", "include_risk", "risk_marks")
    FILL_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_RISK_FIELD_NUMBER: _ClassVar[int]
    RISK_MARKS_FIELD_NUMBER: _ClassVar[int]
    fill: Fill
    include_risk: bool
    risk_marks: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, fill: _Optional[_Union[Fill, _Mapping]] = ..., include_risk: _Optional[bool] = ..., risk_marks: _Optional[_Iterable[str]] = ...) -> None: ...

class RecordFillResponse(_message.Message):
    __slots__ = ("fill", "replayed", "risk")
    FILL_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    RISK_FIELD_NUMBER: _ClassVar[int]
    fill: Fill
    replayed: bool
    risk: GetRiskMetricsResponse
    def __init__(self, fill: _Optional[_Union[Fill, _Mapping]] = ..., replayed: _Optional[bool] = ..., risk: _Optional[_Union[GetRiskMetricsResponse, _Mapping]] = ...) -> None: ...

class RecordFillsRequest(_message.Message):
    __slots__ = ("fills",)
    FILLS_FIELD_NUMBER: _ClassVar[int]
    fills: _containers.RepeatedCompositeFieldContainer[Fill]
    def __init__(self, fills: _Optional[_Iterable[_Union[Fill, _Mapping]]] = ...) -> None: ...

class RecordFillsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RecordFillResponse]
    def __init__(self, results: _Optional[_Iterable[_Union[RecordFillResponse, _Mapping]]] = ...) -> None: ...

class RecordEventRequest(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: LedgerEvent
    def __init__(self, event: _Optional[_Union[LedgerEvent, _Mapping]] = ...) -> None: ...

class RecordEventResponse(_message.Message):
    __slots__ = ("event", "replayed")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    event: LedgerEvent
    replayed: bool
    def __init__(self, event: _Optional[_Union[LedgerEvent, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class RecordEventsRequest(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[LedgerEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[LedgerEvent, _Mapping]]] = ...) -> None: ...

class RecordEventsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RecordEventResponse]
    def __init__(self, results: _Optional[_Iterable[_Union[RecordEventResponse, _Mapping]]] = ...) -> None: ...

class GetPortfolioSummaryRequest(_message.Message):
    __slots__ = ("currency", "bot_id", "marks")
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    MARKS_FIELD_NUMBER: _ClassVar[int]
    currency: str
    bot_id: str
    marks: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, currency: _Optional[str] = ..., bot_id: _Optional[str] = ..., marks: _Optional[_Iterable[str]] = ...) -> None: ...

class Position(_message.Message):
    __slots__ = ("bot_id", "symbol", "amount", "average_price", "mark_price", "unrealized_pnl")
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_PRICE_FIELD_NUMBER: _ClassVar[int]
    MARK_PRICE_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    bot_id: str
    symbol: str
    amount: str
    average_price: str
    mark_price: str
    unrealized_pnl: str
    def __init__(self, bot_id: _Optional[str] = ..., symbol: _Optional[str] = ..., amount: _Optional[str] = ..., average_price: _Optional[str] = ..., mark_price: _Optional[str] = ..., unrealized_pnl: _Optional[str] = ...) -> None: ...

class GetPortfolioSummaryResponse(_message.Message):
    __slots__ = ("currency", "equity", "net_funding", "realized_pnl", "fees", "net_pnl", "unrealized_pnl", "current_drawdown", "max_drawdown", "trades", "winning_trades", "positions", "last_sequence")
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    NET_FUNDING_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    NET_PNL_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    CURRENT_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    TRADES_FIELD_NUMBER: _ClassVar[int]
    WINNING_TRADES_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    currency: str
    equity: str
    net_funding: str
    realized_pnl: str
    fees: str
    net_pnl: str
    unrealized_pnl: str
    current_drawdown: str
    max_drawdown: str
    trades: int
    winning_trades: int
    positions: _containers.RepeatedCompositeFieldContainer[Position]
    last_sequence: int
    def __init__(self, currency: _Optional[str] = ..., equity: _Optional[str] = ..., net_funding: _Optional[str] = ..., realized_pnl: _Optional[str] = ..., fees: _Optional[str] = ..., net_pnl: _Optional[str] = ..., unrealized_pnl: _Optional[str] = ..., current_drawdown: _Optional[str] = ..., max_drawdown: _Optional[str] = ..., trades: _Optional[int] = ..., winning_trades: _Optional[int] = ..., positions: _Optional[_Iterable[_Union[Position, _Mapping]]] = ..., last_sequence: _Optional[int] = ...) -> None: ...

class GetProfitsRequest(_message.Message):
    __slots__ = ("period", "currency", "bot_id")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    period: ProfitPeriod
    currency: str
    bot_id: str
    def __init__(self, period: _Optional[_Union[ProfitPeriod, str]] = ..., currency: _Optional[str] = ..., bot_id: _Optional[str] = ...) -> None: ...

class ProfitBucket(_message.Message):
    __slots__ = ("period_start", "realized_pnl", "fees", "net_pnl", "trades", "winning_trades")
    PERIOD_START_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    NET_PNL_FIELD_NUMBER: _ClassVar[int]
    TRADES_FIELD_NUMBER: _ClassVar[int]
    WINNING_TRADES_FIELD_NUMBER: _ClassVar[int]
    period_start: _timestamp_pb2.Timestamp
    realized_pnl: str
    fees: str
    net_pnl: str
    trades: int
    winning_trades: int
    def __init__(self, period_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., realized_pnl: _Optional[str] = ..., fees: _Optional[str] = ..., net_pnl: _Optional[str] = ..., trades: _Optional[int] = ..., winning_trades: _Optional[int] = ...) -> None: ...

class GetProfitsResponse(_message.Message):
    __slots__ = ("period", "currency", "buckets")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    period: ProfitPeriod
    currency: str
    buckets: _containers.RepeatedCompositeFieldContainer[ProfitBucket]
    def __init__(self, period: _Optional[_Union[ProfitPeriod, str]] = ..., currency: _Optional[str] = ..., buckets: _Optional[_Iterable[_Union[ProfitBucket, _Mapping]]] = ...) -> None: ...

class GetCountdownRequest(_message.Message):
    __slots__ = ("target", "currency")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    target: str
    currency: str
    def __init__(self, target: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class GetCountdownResponse(_message.Message):
    __slots__ = ("currency", "current_equity", "target", "daily_growth", "days_to_target", "reached")
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CURRENT_EQUITY_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    DAILY_GROWTH_FIELD_NUMBER: _ClassVar[int]
    DAYS_TO_TARGET_FIELD_NUMBER: _ClassVar[int]
    REACHED_FIELD_NUMBER: _ClassVar[int]
    currency: str
    current_equity: str
    target: str
    daily_growth: str
    days_to_target: str
    reached: bool
    def __init__(self, currency: _Optional[str] = ..., current_equity: _Optional[str] = ..., target: _Optional[str] = ..., daily_growth: _Optional[str] = ..., days_to_target: _Optional[str] = ..., reached: _Optional[bool] = ...) -> None: ...

class ListFillsRequest(_message.Message):
    __slots__ = ("bot_id", "symbol", "since", "until", "page_size", "page_token")
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    bot_id: str
    symbol: str
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, bot_id: _Optional[str] = ..., symbol: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFillsResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Fill]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[Fill, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetAuditTrailRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("sequence", "entry_id", "prev_hash", "hash", "canonical", "fill", "event", "recorded_at")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    PREV_HASH_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    CANONICAL_FIELD_NUMBER: _ClassVar[int]
    FILL_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    entry_id: str
    prev_hash: str
    hash: str
    canonical: str
    fill: Fill
    event: LedgerEvent
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, sequence: _Optional[int] = ..., entry_id: _Optional[str] = ..., prev_hash: _Optional[str] = ..., hash: _Optional[str] = ..., canonical: _Optional[str] = ..., fill: _Optional[_Union[Fill, _Mapping]] = ..., event: _Optional[_Union[LedgerEvent, _Mapping]] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetAuditTrailResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class VerifyRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class VerifyResponse(_message.Message):
    __slots__ = ("ok", "entries_checked", "problems")
    OK_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_CHECKED_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    entries_checked: int
    problems: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ok: _Optional[bool] = ..., entries_checked: _Optional[int] = ..., problems: _Optional[_Iterable[str]] = ...) -> None: ...

class GetBotStatsRequest(_message.Message):
    __slots__ = ("bot_id", "currency")
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    bot_id: str
    currency: str
    def __init__(self, bot_id: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class GetBotStatsResponse(_message.Message):
    __slots__ = ("bot_id", "trades", "winning_trades", "losing_trades", "win_rate", "net_pnl", "realized_pnl", "fees", "consecutive_losses", "first_trade_at", "equity", "net_funding", "current_drawdown", "max_drawdown")
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    TRADES_FIELD_NUMBER: _ClassVar[int]
    WINNING_TRADES_FIELD_NUMBER: _ClassVar[int]
    LOSING_TRADES_FIELD_NUMBER: _ClassVar[int]
    WIN_RATE_FIELD_NUMBER: _ClassVar[int]
    NET_PNL_FIELD_NUMBER: _ClassVar[int]
    REALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    CONSECUTIVE_LOSSES_FIELD_NUMBER: _ClassVar[int]
    FIRST_TRADE_AT_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    NET_FUNDING_FIELD_NUMBER: _ClassVar[int]
    CURRENT_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    MAX_DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    bot_id: str
    trades: int
    winning_trades: int
    losing_trades: int
    win_rate: str
    net_pnl: str
    realized_pnl: str
    fees: str
    consecutive_losses: int
    first_trade_at: _timestamp_pb2.Timestamp
    equity: str
    net_funding: str
    current_drawdown: str
    max_drawdown: str
    def __init__(self, bot_id: _Optional[str] = ..., trades: _Optional[int] = ..., winning_trades: _Optional[int] = ..., losing_trades: _Optional[int] = ..., win_rate: _Optional[str] = ..., net_pnl: _Optional[str] = ..., realized_pnl: _Optional[str] = ..., fees: _Optional[str] = ..., consecutive_losses: _Optional[int] = ..., first_trade_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., equity: _Optional[str] = ..., net_funding: _Optional[str] = ..., current_drawdown: _Optional[str] = ..., max_drawdown: _Optional[str] = ...) -> None: ...

class GetRiskMetricsRequest(_message.Message):
    __slots__ = ("bot_id", "currency", "marks", "include_account")
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    MARKS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    bot_id: str
    currency: str
    marks: _containers.RepeatedScalarFieldContainer[str]
    include_account: bool
    def __init__(self, bot_id: _Optional[str] = ..., currency: _Optional[str] = ..., marks: _Optional[_Iterable[str]] = ..., include_account: _Optional[bool] = ...) -> None: ...

class GetRiskMetricsResponse(_message.Message):
    __slots__ = ("bot_id", "currency", "equity", "peak", "drawdown", "day_start_equity", "daily_loss", "consecutive_losses", "baseline_sequence", "baseline_at", "account")
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    PEAK_FIELD_NUMBER: _ClassVar[int]
    DRAWDOWN_FIELD_NUMBER: _ClassVar[int]
    DAY_START_EQUITY_FIELD_NUMBER: _ClassVar[int]
    DAILY_LOSS_FIELD_NUMBER: _ClassVar[int]
    CONSECUTIVE_LOSSES_FIELD_NUMBER: _ClassVar[int]
    BASELINE_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    BASELINE_AT_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    bot_id: str
    currency: str
    equity: str
    peak: str
    drawdown: str
    day_start_equity: str
    daily_loss: str
    consecutive_losses: int
    baseline_sequence: int
    baseline_at: _timestamp_pb2.Timestamp
    account: GetRiskMetricsResponse
    def __init__(self, bot_id: _Optional[str] = ..., currency: _Optional[str] = ..., equity: _Optional[str] = ..., peak: _Optional[str] = ..., drawdown: _Optional[str] = ..., day_start_equity: _Optional[str] = ..., daily_loss: _Optional[str] = ..., consecutive_losses: _Optional[int] = ..., baseline_sequence: _Optional[int] = ..., baseline_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., account: _Optional[_Union[GetRiskMetricsResponse, _Mapping]] = ...) -> None: ...

class ResetRiskBaselineRequest(_message.Message):
    __slots__ = ("bot_id", "currency", "reason")
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    bot_id: str
    currency: str
    reason: str
    def __init__(self, bot_id: _Optional[str] = ..., currency: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ResetRiskBaselineResponse(_message.Message):
    __slots__ = ("baseline_sequence",)
    BASELINE_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    baseline_sequence: int
    def __init__(self, baseline_sequence: _Optional[int] = ...) -> None: ...

class RecordFillBatchRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[RecordFillBatchItem]
    def __init__(self, items: _Optional[_Iterable[_Union[RecordFillBatchItem, _Mapping]]] = ...) -> None: ...

class RecordFillBatchItem(_message.Message):
    __slots__ = ("service_token", "request")
    SERVICE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    service_token: str
    request: RecordFillRequest
    def __init__(self, service_token: _Optional[str] = ..., request: _Optional[_Union[RecordFillRequest, _Mapping]] = ...) -> None: ...

class RecordFillBatchResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[RecordFillBatchResult]
    def __init__(self, results: _Optional[_Iterable[_Union[RecordFillBatchResult, _Mapping]]] = ...) -> None: ...

class RecordFillBatchResult(_message.Message):
    __slots__ = ("response", "error")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    response: RecordFillResponse
    error: _status_pb2.Status
    def __init__(self, response: _Optional[_Union[RecordFillResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class GetRiskMetricsBatchRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[GetRiskMetricsBatchItem]
    def __init__(self, items: _Optional[_Iterable[_Union[GetRiskMetricsBatchItem, _Mapping]]] = ...) -> None: ...

class GetRiskMetricsBatchItem(_message.Message):
    __slots__ = ("service_token", "request")
    SERVICE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    service_token: str
    request: GetRiskMetricsRequest
    def __init__(self, service_token: _Optional[str] = ..., request: _Optional[_Union[GetRiskMetricsRequest, _Mapping]] = ...) -> None: ...

class GetRiskMetricsBatchResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[GetRiskMetricsBatchResult]
    def __init__(self, results: _Optional[_Iterable[_Union[GetRiskMetricsBatchResult, _Mapping]]] = ...) -> None: ...

class GetRiskMetricsBatchResult(_message.Message):
    __slots__ = ("response", "error")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    response: GetRiskMetricsResponse
    error: _status_pb2.Status
    def __init__(self, response: _Optional[_Union[GetRiskMetricsResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

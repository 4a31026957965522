import datetime

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

class BotState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BOT_STATE_UNSPECIFIED: _ClassVar[BotState]
    BOT_STATE_STOPPED: _ClassVar[BotState]
    BOT_STATE_RUNNING: _ClassVar[BotState]
    BOT_STATE_PAUSED: _ClassVar[BotState]
    BOT_STATE_ERROR: _ClassVar[BotState]
    BOT_STATE_CIRCUIT_TRIPPED: _ClassVar[BotState]

class BotMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BOT_MODE_UNSPECIFIED: _ClassVar[BotMode]
    BOT_MODE_PAPER: _ClassVar[BotMode]
    BOT_MODE_LIVE: _ClassVar[BotMode]
BOT_STATE_UNSPECIFIED: BotState
BOT_STATE_STOPPED: BotState
BOT_STATE_RUNNING: BotState
BOT_STATE_PAUSED: BotState
BOT_STATE_ERROR: BotState
BOT_STATE_CIRCUIT_TRIPPED: BotState
BOT_MODE_UNSPECIFIED: BotMode
BOT_MODE_PAPER: BotMode
BOT_MODE_LIVE: BotMode

class Bot(_message.Message):
    __slots__ = ("id", "name", "exchange", "symbol", "strategy", "params", "allocated_capital", "mode", "state", "state_reason", "created_at", "updated_at", "interval_seconds")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_CAPITAL_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    exchange: str
    symbol: str
    strategy: str
    params: _containers.ScalarMap[str, str]
    allocated_capital: str
    mode: BotMode
    state: BotState
    state_reason: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    interval_seconds: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., strategy: _Optional[str] = ..., params: _Optional[_Mapping[str, str]] = ..., allocated_capital: _Optional[str] = ..., mode: _Optional[_Union[BotMode, str]] = ..., state: _Optional[_Union[BotState, str]] = ..., state_reason: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., interval_seconds: _Optional[int] = ...) -> None: ...

class BotEvent(_message.Message):
    __slots__ = ("sequence", "bot_id", "from_state", "to_state", "reason", "at")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_STATE_FIELD_NUMBER: _ClassVar[int]
    TO_STATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    bot_id: str
    from_state: BotState
    to_state: BotState
    reason: str
    at: _timestamp_pb2.Timestamp
    def __init__(self, sequence: _Optional[int] = ..., bot_id: _Optional[str] = ..., from_state: _Optional[_Union[BotState, str]] = ..., to_state: _Optional[_Union[BotState, str]] = ..., reason: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateBotRequest(_message.Message):
    __slots__ = ("name", "exchange", "symbol", "strategy", "params", "allocated_capital", "interval_seconds", "idempotency_key")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_CAPITAL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    name: str
    exchange: str
    symbol: str
    strategy: str
    params: _containers.ScalarMap[str, str]
    allocated_capital: str
    interval_seconds: int
    idempotency_key: str
    def __init__(self, name: _Optional[str] = ..., exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., strategy: _Optional[str] = ..., params: _Optional[_Mapping[str, str]] = ..., allocated_capital: _Optional[str] = ..., interval_seconds: _Optional[int] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class CreateBotResponse(_message.Message):
    __slots__ = ("bot",)
    BOT_FIELD_NUMBER: _ClassVar[int]
    bot: Bot
    def __init__(self, bot: _Optional[_Union[Bot, _Mapping]] = ...) -> None: ...

class ListBotsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListBotsResponse(_message.Message):
    __slots__ = ("items", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Bot]
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[Bot, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetBotRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetBotResponse(_message.Message):
    __slots__ = ("bot",)
    BOT_FIELD_NUMBER: _ClassVar[int]
    bot: Bot
    def __init__(self, bot: _Optional[_Union[Bot, _Mapping]] = ...) -> None: ...

class GetBotBatchRequest(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[GetBotBatchItem]
    def __init__(self, items: _Optional[_Iterable[_Union[GetBotBatchItem, _Mapping]]] = ...) -> None: ...

class GetBotBatchItem(_message.Message):
    __slots__ = ("service_token", "request")
    SERVICE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    service_token: str
    request: GetBotRequest
    def __init__(self, service_token: _Optional[str] = ..., request: _Optional[_Union[GetBotRequest, _Mapping]] = ...) -> None: ...

class GetBotBatchResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[GetBotBatchResult]
    def __init__(self, results: _Optional[_Iterable[_Union[GetBotBatchResult, _Mapping]]] = ...) -> None: ...

class GetBotBatchResult(_message.Message):
    __slots__ = ("response", "error")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    response: GetBotResponse
    error: _status_pb2.Status
    def __init__(self, response: _Optional[_Union[GetBotResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class StartBotRequest(_message.Message):
    __slots__ = ("id", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class StartBotResponse(_message.Message):
    __slots__ = ("bot",)
    BOT_FIELD_NUMBER: _ClassVar[int]
    bot: Bot
    def __init__(self, bot: _Optional[_Union[Bot, _Mapping]] = ...) -> None: ...

class PauseBotRequest(_message.Message):
    __slots__ = ("id", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class PauseBotResponse(_message.Message):
    __slots__ = ("bot",)
    BOT_FIELD_NUMBER: _ClassVar[int]
    bot: Bot
    def __init__(self, bot: _Optional[_Union[Bot, _Mapping]] = ...) -> None: ...

class ResumeBotRequest(_message.Message):
    __slots__ = ("id", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ResumeBotResponse(_message.Message):
    __slots__ = ("bot",)
    BOT_FIELD_NUMBER: _ClassVar[int]
    bot: Bot
    def __init__(self, bot: _Optional[_Union[Bot, _Mapping]] = ...) -> None: ...

class StopBotRequest(_message.Message):
    __slots__ = ("id", "reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    reason: str
    def __init__(self, id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class StopBotResponse(_message.Message):
    __slots__ = ("bot",)
    BOT_FIELD_NUMBER: _ClassVar[int]
    bot: Bot
    def __init__(self, bot: _Optional[_Union[Bot, _Mapping]] = ...) -> None: ...

class PauseAllBotsRequest(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class PauseAllBotsResponse(_message.Message):
    __slots__ = ("changed",)
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    changed: int
    def __init__(self, changed: _Optional[int] = ...) -> None: ...

class ResumeAllBotsRequest(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class ResumeAllBotsResponse(_message.Message):
    __slots__ = ("changed",)
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    changed: int
    def __init__(self, changed: _Optional[int] = ...) -> None: ...

class PromoteBotRequest(_message.Message):
    __slots__ = ("id", "totp_code")
    ID_FIELD_NUMBER: _ClassVar[int]
    TOTP_CODE_FIELD_NUMBER: _ClassVar[int]
    id: str
    totp_code: str
    def __init__(self, id: _Optional[str] = ..., totp_code: _Optional[str] = ...) -> None: ...

class PromotionCriterion(_message.Message):
    __slots__ = ("name", "met", "value", "requirement")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MET_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    REQUIREMENT_FIELD_NUMBER: _ClassVar[int]
    name: str
    met: bool
    value: str
    requirement: str
    def __init__(self, name: _Optional[str] = ..., met: _Optional[bool] = ..., value: _Optional[str] = ..., requirement: _Optional[str] = ...) -> None: ...

class PromoteBotResponse(_message.Message):
    __slots__ = ("bot", "promoted", "criteria")
    BOT_FIELD_NUMBER: _ClassVar[int]
    PROMOTED_FIELD_NUMBER: _ClassVar[int]
    CRITERIA_FIELD_NUMBER: _ClassVar[int]
    bot: Bot
    promoted: bool
    criteria: _containers.RepeatedCompositeFieldContainer[PromotionCriterion]
    def __init__(self, bot: _Optional[_Union[Bot, _Mapping]] = ..., promoted: _Optional[bool] = ..., criteria: _Optional[_Iterable[_Union[PromotionCriterion, _Mapping]]] = ...) -> None: ...

class StreamBotEventsRequest(_message.Message):
    __slots__ = ("after_sequence",)
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    def __init__(self, after_sequence: _Optional[int] = ...) -> None: ...

class TripBotsRequest(_message.Message):
    __slots__ = ("bot_id", "reason")
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    bot_id: str
    reason: str
    def __init__(self, bot_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class TripBotsResponse(_message.Message):
    __slots__ = ("changed",)
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    changed: int
    def __init__(self, changed: _Optional[int] = ...) -> None: ...

class ClearTrippedBotsRequest(_message.Message):
    __slots__ = ("bot_id", "reason")
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    bot_id: str
    reason: str
    def __init__(self, bot_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ClearTrippedBotsResponse(_message.Message):
    __slots__ = ("changed",)
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    changed: int
    def __init__(self, changed: _Optional[int] = ...) -> None: ...

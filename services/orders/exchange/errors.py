"""The exchange layer's exceptions, and how ccxt's exceptions map onto them.

An order request ends in exactly one of three ways when it does not succeed:

- ``OrderRejected``: the exchange refused it (or it could not be sent in a form the market
  accepts). Nothing was placed; end the order as FAILED with ``code`` and ``reason``.
- ``Retryable``: refused before the exchange could have accepted it (rate limit, connection
  never made, clock skew). Send it again later with the SAME client order id.
- ``OutcomeUnknown``: the request may have been accepted (timeout after sending, HTTP 5xx,
  connection lost mid-answer). Never place again blindly: look the order up by its client
  order id (``place_or_reconcile`` does this).
"""

from __future__ import annotations

import socket

import aiohttp
import ccxt


class ExchangeLayerError(Exception):
    """Base class. Raised as such only when a read (lookup, cancel) fails for good."""

    default_code = "EXCHANGE_ERROR"

    def __init__(self, reason: str, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code or self.default_code


class OrderRejected(ExchangeLayerError):
    """The order was not placed and will not be: end it (FAILED)."""

    default_code = "REJECTED"


class Retryable(ExchangeLayerError):
    """The request was refused before it could take effect: retry later, same client id."""

    default_code = "RETRYABLE"


class OutcomeUnknown(ExchangeLayerError):
    """The order may or may not exist at the exchange: reconcile by client order id."""

    default_code = "OUTCOME_UNKNOWN"


class MarketDataError(Exception):
    """Base class of market data failures."""


class UnknownSymbol(MarketDataError):
    def __init__(self, symbol: str, detail: str = "") -> None:
        super().__init__(f"unknown symbol {symbol!r}" + (f": {detail}" if detail else ""))
        self.symbol = symbol


class MarketDataUnavailable(MarketDataError):
    """The source did not answer (network, rate limit, exchange error): try again later."""


def _never_connected(exc: BaseException) -> bool:
    cause = exc.__cause__
    return isinstance(cause, (aiohttp.ClientConnectorError, socket.gaierror))


def placement_error(exc: ccxt.BaseError) -> ExchangeLayerError:
    """Our exception for a ccxt exception raised by a call that places an order."""
    text = str(exc)
    if isinstance(exc, ccxt.InsufficientFunds):
        return OrderRejected(f"insufficient funds: {text}", "INSUFFICIENT_FUNDS")
    if isinstance(exc, ccxt.InvalidOrder):
        if "Duplicate order sent" in text:  # an OPEN order already has this client order id
            return OutcomeUnknown(f"the client order id is in use: {text}", "DUPLICATE_ID")
        return OrderRejected(f"invalid order: {text}", "INVALID_ORDER")
    if isinstance(exc, (ccxt.DDoSProtection, ccxt.RateLimitExceeded)):
        return Retryable(f"rate limited: {text}", "RATE_LIMITED")
    if isinstance(exc, ccxt.InvalidNonce):  # the timestamp was refused before any processing
        return Retryable(f"request time refused: {text}", "CLOCK_SKEW")
    if isinstance(exc, ccxt.ExchangeNotAvailable) and _never_connected(exc):
        return Retryable(f"exchange unreachable: {text}", "UNREACHABLE")
    if isinstance(exc, ccxt.OperationFailed):  # timeouts, 5xx, lost connections
        return OutcomeUnknown(f"{type(exc).__name__}: {text}", "OUTCOME_UNKNOWN")
    if isinstance(exc, ccxt.ExchangeError) and not isinstance(exc.__cause__, aiohttp.ClientError):
        # the exchange answered with an error (bad request, symbol, credentials, permission)
        return OrderRejected(f"{type(exc).__name__}: {text}", "EXCHANGE_REFUSED")
    return OutcomeUnknown(f"{type(exc).__name__}: {text}", "OUTCOME_UNKNOWN")


def read_error(exc: ccxt.BaseError) -> ExchangeLayerError:
    """Our exception for a ccxt exception raised by a read (no side effect): network trouble
    and rate limits are ``Retryable``, anything else is a plain ``ExchangeLayerError``."""
    if isinstance(exc, ccxt.OperationFailed):
        return Retryable(f"{type(exc).__name__}: {exc}", "READ_FAILED")
    if isinstance(exc, ccxt.ExchangeError) and isinstance(exc.__cause__, aiohttp.ClientError):
        return Retryable(f"{type(exc).__name__}: {exc}", "READ_FAILED")
    return ExchangeLayerError(f"{type(exc).__name__}: {exc}", "READ_REFUSED")

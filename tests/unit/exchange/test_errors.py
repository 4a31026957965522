import aiohttp
import ccxt
import pytest

from services.orders.exchange.errors import (
    ExchangeLayerError,
    OrderRejected,
    OutcomeUnknown,
    Retryable,
    placement_error,
    read_error,
)


def caused_by(exc: ccxt.BaseError, cause: BaseException) -> ccxt.BaseError:
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    ("exc", "kind", "code"),
    [
        (ccxt.InsufficientFunds("binance Account has insufficient balance"), OrderRejected,
         "INSUFFICIENT_FUNDS"),
        (ccxt.InvalidOrder('binance {"code":-1013,"msg":"Filter failure: LOT_SIZE"}'),
         OrderRejected, "INVALID_ORDER"),
        (ccxt.BadRequest("binance -1102 mandatory parameter"), OrderRejected, "EXCHANGE_REFUSED"),
        (ccxt.BadSymbol("binance Invalid symbol."), OrderRejected, "EXCHANGE_REFUSED"),
        (ccxt.AuthenticationError("binance -2015"), OrderRejected, "EXCHANGE_REFUSED"),
        (ccxt.DDoSProtection("binance 429"), Retryable, "RATE_LIMITED"),
        (ccxt.RateLimitExceeded("binance -1003"), Retryable, "RATE_LIMITED"),
        (ccxt.InvalidNonce("binance -1021"), Retryable, "CLOCK_SKEW"),
        # the request may have been accepted: reconcile
        (ccxt.RequestTimeout("binance POST /api/v3/order"), OutcomeUnknown, "OUTCOME_UNKNOWN"),
        (ccxt.OperationFailed('binance {"code":-1001}'), OutcomeUnknown, "OUTCOME_UNKNOWN"),
        (ccxt.ExchangeNotAvailable("binance 502"), OutcomeUnknown, "OUTCOME_UNKNOWN"),
        (caused_by(ccxt.ExchangeNotAvailable("x"), aiohttp.ServerDisconnectedError()),
         OutcomeUnknown, "OUTCOME_UNKNOWN"),
        (caused_by(ccxt.ExchangeError("x"), aiohttp.ClientPayloadError("cut")),
         OutcomeUnknown, "OUTCOME_UNKNOWN"),
        (ccxt.NullResponse("binance empty answer"), OutcomeUnknown, "OUTCOME_UNKNOWN"),
        (ccxt.BaseError("something else"), OutcomeUnknown, "OUTCOME_UNKNOWN"),
    ],
)  # fmt: skip
def test_placement_errors(exc, kind, code):
    mapped = placement_error(exc)
    assert type(mapped) is kind
    assert mapped.code == code
    assert str(exc) in mapped.reason


def test_a_duplicate_client_order_id_means_the_order_may_exist():
    # Binance: -2010 "Duplicate order sent." while an order with that id is OPEN
    exc = ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}')
    assert type(placement_error(exc)) is OutcomeUnknown


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (ccxt.RequestTimeout("t"), Retryable),
        (ccxt.DDoSProtection("429"), Retryable),
        (ccxt.OperationFailed("-1001"), Retryable),
        (caused_by(ccxt.ExchangeError("x"), aiohttp.ClientPayloadError("cut")), Retryable),
        (ccxt.AuthenticationError("-2015"), ExchangeLayerError),
        (ccxt.BadSymbol("no such market"), ExchangeLayerError),
    ],
)
def test_read_errors(exc, kind):
    assert type(read_error(exc)) is kind

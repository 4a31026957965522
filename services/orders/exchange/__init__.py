"""The orders service's exchange layer: fees, market data, live orders through ccxt.

Everything here is importable from ``services.orders.exchange``. Money is always Decimal.

Fees (fees.py), for gate B::

    overrides = parse_fee_overrides("binance=7.5/10")   # ValueError naming the bad part
    maker, taker = maker_taker_bps("binance", overrides) # Decimal bps; ccxt's when no override
    is_known_exchange("binance")                         # in ccxt.exchanges

``maker_taker_bps`` raises ValueError for an exchange ccxt does not know (without override).

Market data (market.py): the ``MarketData`` protocol, two implementations::

    md = SimMarketData(seed, clock, spread_bps)          # MARKET_DATA=sim; clock() -> aware UTC
    md = CcxtMarketData(make_exchange)                   # MARKET_DATA=ccxt; e.g.
         # CcxtMarketData(lambda x: make_ccxt(x)); await md.close() at shutdown
    t = await md.ticker("binance", "BTC/USDT")           # Ticker(symbol, bid, ask, last, at)
    cs = await md.candles("binance", "BTC/USDT", "1m", 100)  # [Candle(open_time, open, high,
                                                         #   low, close, volume)], oldest first

Both raise ``UnknownSymbol`` (not BASE/QUOTE, or not listed), ``MarketDataUnavailable``
(source down), ValueError (timeframe not in 1m/5m/15m/1h, limit not in 1..1000). The sim is
deterministic in (seed, symbol, minute) across processes; the exchange argument is ignored.

Live orders (live.py, model.py, policy.py)::

    cid = client_order_id(user_id, idempotency_key, order_id)  # 36 chars; save it BEFORE placing
    venue = LiveExchange(make_ccxt("binance", api_key, secret))  # one per account;
          # make_ccxt(..., base_url=None, timeout_ms=10_000, rate_limit=True); await venue.close()
    req = LiveOrderRequest(cid, "BTC/USDT", "buy", "market", Decimal("0.01"))  # price=None;
          # limit: LiveOrderRequest(cid, sym, "sell", "limit", amount, price). ValueError if bad
    stats = PlaceStats()
    order = await place_or_reconcile(venue, req, stats=stats)  # -> ExchangeOrder
          # attempts=4, backoff=default_backoff (0.5, 1, 2, 4 s), sleep=asyncio.sleep,
          # lookup_attempts=3, settle_seconds=venue.settle_seconds (11 s on Binance)
    order = await venue.lookup(cid, "BTC/USDT")          # ExchangeOrder | None (unknown id)
    order = await venue.cancel(cid, "BTC/USDT")          # ExchangeOrder | None (no open order)

Amounts are rounded down to the market's step and limit prices to its tick before sending.
``ExchangeOrder(exchange_order_id, client_order_id, symbol, side, type, status, amount, price,
filled, average, fills=[ExchangeFill(trade_id, amount, price, fee, fee_currency)])`` is what
the exchange reported, never what was asked (status is ccxt's: open / closed / canceled /
expired / rejected; "open" with filled > 0 is partly filled; price is the limit, None for a
market order; the fill prices are in ``fills`` and ``average``). Record fills by
``trade_id``: a later lookup returns the same fills again, and fills may trail ``filled``.

``place_or_reconcile`` places at most once: a refused attempt is sent again with the same
client order id; an attempt with an unknown outcome is looked up by client order id, and sent
again only if still unknown to the exchange after ``settle_seconds`` (the time after which
Binance can no longer accept it). It raises:

- ``OrderRejected(reason, code)``: refused, nothing placed: end the order FAILED. Codes:
  INSUFFICIENT_FUNDS, INVALID_ORDER, EXCHANGE_REFUSED (bad request, credentials, permission),
  UNKNOWN_SYMBOL, AMOUNT_TOO_SMALL, PRICE_TOO_SMALL, NO_PRECISION.
- ``Retryable(reason, code="NOT_PLACED")``: every attempt was refused before it could take
  effect (rate limit, unreachable, markets not loaded); nothing was placed.
- ``OutcomeUnknown(reason, code="UNRECONCILED")``: an attempt may have been accepted and the
  lookups could not tell. Keep the order SUBMITTED and reconcile later with ``venue.lookup``;
  never place it again.

``stats`` (``placements``, ``lookups``, ``reconciled``, ``errors``) is filled in also when it
raises; ``errors`` has one "place:CODE" / "lookup:CODE" per failed exchange call: the
breaker's execution errors. ``venue.place`` alone makes one attempt and raises OrderRejected,
Retryable (RATE_LIMITED, CLOCK_SKEW, UNREACHABLE, MARKETS_UNAVAILABLE) or OutcomeUnknown
(OUTCOME_UNKNOWN, DUPLICATE_ID); ``venue.lookup``/``cancel`` raise Retryable (READ_FAILED)
or ExchangeLayerError (READ_REFUSED). All our exceptions derive from ``ExchangeLayerError``
(``.reason``, ``.code``). ccxt never retries by itself (``maxRetriesOnFailure`` 0, asserted).
An asyncio cancellation during a call leaves the outcome unknown: reconcile by client id.
``OrderVenue`` is the protocol ``place_or_reconcile`` needs (place, lookup, settle_seconds),
for fakes in the orders service's own tests. Tests drive real ccxt against
``tests.fakes.fake_binance.FakeBinance`` (``make_ccxt(..., base_url=fake.url)``).
"""

from services.orders.exchange.errors import (
    ExchangeLayerError,
    MarketDataError,
    MarketDataUnavailable,
    OrderRejected,
    OutcomeUnknown,
    Retryable,
    UnknownSymbol,
)
from services.orders.exchange.fees import (
    FeeOverrides,
    is_known_exchange,
    maker_taker_bps,
    parse_fee_overrides,
)
from services.orders.exchange.live import LiveExchange, make_ccxt
from services.orders.exchange.market import (
    Candle,
    CcxtMarketData,
    MarketData,
    SimMarketData,
    Ticker,
)
from services.orders.exchange.model import (
    ExchangeFill,
    ExchangeOrder,
    LiveOrderRequest,
    OrderVenue,
    client_order_id,
)
from services.orders.exchange.policy import PlaceStats, default_backoff, place_or_reconcile

__all__ = [
    "Candle",
    "CcxtMarketData",
    "ExchangeFill",
    "ExchangeLayerError",
    "ExchangeOrder",
    "FeeOverrides",
    "LiveExchange",
    "LiveOrderRequest",
    "MarketData",
    "MarketDataError",
    "MarketDataUnavailable",
    "OrderRejected",
    "OrderVenue",
    "OutcomeUnknown",
    "PlaceStats",
    "Retryable",
    "SimMarketData",
    "Ticker",
    "UnknownSymbol",
    "client_order_id",
    "default_backoff",
    "is_known_exchange",
    "maker_taker_bps",
    "make_ccxt",
    "parse_fee_overrides",
    "place_or_reconcile",
]

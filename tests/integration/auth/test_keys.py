"""Exchange API keys: stored sealed, listed masked, read back only by the orders service."""

from __future__ import annotations

import grpc
from sqlalchemy import select

from amarktai.auth.v1 import auth_pb2 as pb
from services.auth.schema import exchange_keys, recovery_codes, users
from tests.integration.auth.helpers import code_at, refused, wrong_code

API_KEY = "AKIAEXAMPLEKEY0001wxyz"
API_SECRET = "s3cr3t-Value-That-Must-Never-Leak-9876"
PASSPHRASE = "my passphrase 42"


def raw_tables(db) -> str:
    """Every value of the auth tables as the database holds them."""
    with db.read() as conn:
        rows = [
            *conn.execute(select(users)),
            *conn.execute(select(exchange_keys)),
            *conn.execute(select(recovery_codes)),
        ]
    return "\n".join(repr(tuple(r)) for r in rows)


def store_request(**changes) -> pb.StoreExchangeKeysRequest:
    fields = dict(exchange="binance", api_key=API_KEY, api_secret=API_SECRET)
    fields.update(changes)
    return pb.StoreExchangeKeysRequest(**fields)


async def test_store_list_read_delete(auth):
    account = await auth.register("keys@example.com")
    r = await auth.stub.StoreExchangeKeys(store_request(), metadata=account.md)
    assert (r.key.exchange, r.key.api_key_masked, r.replaced) == ("binance", "****wxyz", False)
    r = await auth.stub.StoreExchangeKeys(
        store_request(exchange="OKX", passphrase=PASSPHRASE), metadata=account.md
    )
    assert (r.key.exchange, r.key.has_passphrase) == ("okx", True)
    listed = await auth.stub.ListExchangeKeys(pb.ListExchangeKeysRequest(), metadata=account.md)
    assert [(k.exchange, k.api_key_masked) for k in listed.items] == [
        ("binance", "****wxyz"),
        ("okx", "****wxyz"),
    ]
    assert API_SECRET not in str(listed) and API_KEY not in str(listed)

    orders = auth.service_md("orders", account.id)
    clear = await auth.stub.GetExchangeKeys(
        pb.GetExchangeKeysRequest(exchange="okx"), metadata=orders
    )
    assert (clear.api_key, clear.api_secret, clear.passphrase) == (API_KEY, API_SECRET, PASSPHRASE)

    # replacing keeps one entry per exchange
    r = await auth.stub.StoreExchangeKeys(
        store_request(api_secret="another-secret-value"), metadata=account.md
    )
    assert r.replaced
    clear = await auth.stub.GetExchangeKeys(
        pb.GetExchangeKeysRequest(exchange="binance"), metadata=orders
    )
    assert clear.api_secret == "another-secret-value" and clear.passphrase == ""

    await auth.stub.DeleteExchangeKey(
        pb.DeleteExchangeKeyRequest(exchange="okx"), metadata=account.md
    )
    listed = await auth.stub.ListExchangeKeys(pb.ListExchangeKeysRequest(), metadata=account.md)
    assert [k.exchange for k in listed.items] == ["binance"]
    r = await refused(
        auth.stub.DeleteExchangeKey(
            pb.DeleteExchangeKeyRequest(exchange="okx"), metadata=account.md
        )
    )
    assert (r.code, r.reason) == (grpc.StatusCode.NOT_FOUND, "EXCHANGE_KEYS_NOT_FOUND")
    r = await refused(
        auth.stub.GetExchangeKeys(pb.GetExchangeKeysRequest(exchange="okx"), metadata=orders)
    )
    assert r.code == grpc.StatusCode.NOT_FOUND


async def test_bad_keys_are_invalid(auth):
    account = await auth.register("badkeys@example.com")
    cases = [
        (store_request(exchange=""), "exchange"),
        (store_request(exchange="bin ance"), "exchange"),
        (store_request(api_key=""), "api_key"),
        (store_request(api_secret="has space"), "api_secret"),
        (store_request(api_secret="x" * 513), "api_secret"),
        (store_request(passphrase="line\nbreak"), "passphrase"),
    ]
    for request, field in cases:
        r = await refused(auth.stub.StoreExchangeKeys(request, metadata=account.md))
        assert (r.code, r.fields) == (grpc.StatusCode.INVALID_ARGUMENT, [field]), field
    listed = await auth.stub.ListExchangeKeys(pb.ListExchangeKeysRequest(), metadata=account.md)
    assert list(listed.items) == []


async def test_only_the_orders_service_reads_keys_back(auth):
    account = await auth.register("reader@example.com")
    await auth.stub.StoreExchangeKeys(store_request(), metadata=account.md)
    request = pb.GetExchangeKeysRequest(exchange="binance")
    r = await refused(auth.stub.GetExchangeKeys(request, metadata=account.md))
    assert (r.code, r.reason) == (grpc.StatusCode.PERMISSION_DENIED, "SERVICE_TOKEN_REQUIRED")
    r = await refused(
        auth.stub.GetExchangeKeys(request, metadata=auth.service_md("bots", account.id))
    )
    assert (r.code, r.reason) == (grpc.StatusCode.PERMISSION_DENIED, "KEY_READER_ONLY")
    # the orders service acting for another user sees nothing of this one
    r = await refused(
        auth.stub.GetExchangeKeys(request, metadata=auth.service_md("orders", "someone-else"))
    )
    assert r.code == grpc.StatusCode.NOT_FOUND
    # a service may list (masked) for the user it acts for, e.g. bots before a promotion
    listed = await auth.stub.ListExchangeKeys(
        pb.ListExchangeKeysRequest(), metadata=auth.service_md("bots", account.id)
    )
    assert [k.api_key_masked for k in listed.items] == ["****wxyz"]


async def test_storing_keys_needs_totp_when_2fa_is_on(auth):
    account = await auth.register("keys2fa@example.com")
    secret, _ = await auth.enable_2fa(account)
    auth.clock.advance(seconds=30)
    r = await refused(auth.stub.StoreExchangeKeys(store_request(), metadata=account.md))
    assert (r.code, r.reason) == (grpc.StatusCode.PERMISSION_DENIED, "TOTP_REQUIRED")
    r = await refused(
        auth.stub.StoreExchangeKeys(
            store_request(totp_code=wrong_code(secret, auth.clock.now)), metadata=account.md
        )
    )
    assert r.reason == "TOTP_INVALID"
    listed = await auth.stub.ListExchangeKeys(pb.ListExchangeKeysRequest(), metadata=account.md)
    assert list(listed.items) == []
    await auth.stub.StoreExchangeKeys(
        store_request(totp_code=code_at(secret, auth.clock.now)), metadata=account.md
    )
    listed = await auth.stub.ListExchangeKeys(pb.ListExchangeKeysRequest(), metadata=account.md)
    assert [k.exchange for k in listed.items] == ["binance"]


async def test_secrets_are_not_stored_in_clear(auth):
    account = await auth.register("atrest@example.com")
    e = await auth.stub.EnrollTotp(pb.EnrollTotpRequest(), metadata=account.md)
    assert e.secret not in raw_tables(auth.db)  # the pending secret
    c = await auth.stub.ConfirmTotp(
        pb.ConfirmTotpRequest(totp_code=code_at(e.secret, auth.clock.now)), metadata=account.md
    )
    auth.clock.advance(seconds=30)
    await auth.stub.StoreExchangeKeys(
        store_request(passphrase=PASSPHRASE, totp_code=code_at(e.secret, auth.clock.now)),
        metadata=account.md,
    )
    raw = raw_tables(auth.db)
    assert "exchange-key" not in raw and "v1:" in raw  # sealed values are there
    for clear in [e.secret, e.secret.lower(), API_KEY, API_SECRET, PASSPHRASE, *c.recovery_codes]:
        assert clear not in raw, clear
    for code in c.recovery_codes:
        assert code.replace("-", "") not in raw


async def test_a_sealed_value_does_not_open_in_another_row(auth):
    alice = await auth.register("alice.keys@example.com")
    bob = await auth.register("bob.keys@example.com")
    await auth.stub.StoreExchangeKeys(store_request(), metadata=alice.md)
    await auth.stub.StoreExchangeKeys(store_request(api_secret="bobs-secret"), metadata=bob.md)
    # copy Alice's sealed secret into Bob's row: it is bound to Alice's row and will not open
    with auth.db.write() as conn:
        sealed = conn.execute(
            select(exchange_keys.c.api_secret).where(exchange_keys.c.user_id == alice.id)
        ).scalar_one()
        conn.execute(
            exchange_keys.update()
            .where(exchange_keys.c.user_id == bob.id)
            .values(api_secret=sealed)
        )
    r = await refused(
        auth.stub.GetExchangeKeys(
            pb.GetExchangeKeysRequest(exchange="binance"),
            metadata=auth.service_md("orders", bob.id),
        )
    )
    assert (r.code, r.reason) == (grpc.StatusCode.INTERNAL, "SECRET_UNREADABLE")

"""The venue pool: one venue per account, reused; the least recently used leaves first and is
closed once no call is using it."""

from __future__ import annotations

from services.orders.venues import VenuePool


class Venue:
    def __init__(self, *account: str) -> None:
        self.account = account
        self.closed = False

    async def close(self) -> None:
        self.closed = True


async def test_one_venue_per_account_and_rotated_keys_get_a_new_one():
    made: list[Venue] = []
    pool = VenuePool(lambda *a: made.append(Venue(*a)) or made[-1], size=4)
    async with pool.use("binance", "k1", "s1") as a:
        pass
    async with pool.use("binance", "k1", "s1") as b:
        assert b is a
    async with pool.use("binance", "k1", "s2") as c:  # the secret was rotated
        assert c is not a and c.account == ("binance", "k1", "s2", "")
    assert len(made) == 2
    await pool.close()
    assert all(v.closed for v in made)


async def test_the_oldest_venue_leaves_and_is_closed_when_no_call_uses_it():
    pool = VenuePool(lambda *a: Venue(*a), size=1)
    async with pool.use("binance", "k1", "s") as first:
        async with pool.use("binance", "k2", "s") as second:
            assert not first.closed  # still in use by the outer call
        assert not second.closed
    assert first.closed
    await pool.close()
    assert second.closed

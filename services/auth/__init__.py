"""The auth service: users, passwords, access tokens, TOTP 2FA, recovery codes, exchange keys."""

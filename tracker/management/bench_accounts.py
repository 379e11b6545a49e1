"""How the bench clinic's users sign in, for seed_bench and for scripts/harness.py.

Imports nothing: the harness runs as a plain script, without Django settings.
"""

PREFIX = "bench."
PASSWORD = "bench-password-only"
# One fixed TOTP key for every bench practitioner, so load tests can pass the second factor.
OTP_KEY = "3132333435363738393031323334353637383930"

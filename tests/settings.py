"""Settings for the test suite: the production settings, read with a test environment.

The suite runs with debug off, as production does, so it needs a secret key;
plain static storage and no HTTPS redirect let the test client and the live
server work over plain HTTP. Everything else (DATABASE_URL included) comes
from the real environment, so CI can run the same suite on PostgreSQL.
"""

import os

os.environ["DJANGO_SECRET_KEY"] = "test-only-secret-key-not-for-production-use-0123456789"
os.environ["DJANGO_DEBUG"] = "False"
os.environ["DJANGO_STATIC_MANIFEST"] = "False"
os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "False"
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
# The test client's host: links in emails point back at it.
os.environ["DJANGO_SITE_URL"] = "http://testserver"
# A developer's .env (manage.py setup_clinic) must not change what the suite sees.
os.environ["DJANGO_ENV_FILE"] = os.devnull

from clinic.settings import *  # noqa: E402, F403

# Fast hashing: the suite logs in hundreds of times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files straight from the apps' folders (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

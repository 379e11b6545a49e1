import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings")
application = get_wsgi_application()

# What is loaded by now (Django, the app and its libraries) lives as long as the worker.
# Frozen, the garbage collector's full collections no longer walk all of it: they cost
# some requests several milliseconds of CPU each (issue 21, scripts/bench_cpu.py).
gc.freeze()

"""Moved to stores/event_log.py (a Redis store). This alias serves importers not moved yet
(usecases/notify.py, bench/live.py) and goes with the last of them; tests/unit/test_layers.py
counts an import of it as one of its target."""
from stores.event_log import EventLog  # noqa: F401

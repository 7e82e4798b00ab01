"""Moved to core/live_protocol.py: pure, so the stores can encode events without importing live/.
This alias serves importers not moved yet (stores/sessions.py, usecases/notify.py, bench/) and
goes with the last of them; tests/unit/test_layers.py counts an import of it as one of its target."""
from core.live_protocol import *  # noqa: F401,F403

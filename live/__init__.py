"""The live transport: who is connected (presence), resume points, the hub that carries events to
sockets, and the one stream pump every API runs, which renders each event for its reader at
delivery (session.py). Event logs are a store (stores/event_log.py); wire forms are pure
(core/live_protocol.py)."""

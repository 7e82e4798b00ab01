"""Shared fixtures.

Unit tests (tests/unit) need nothing. Integration tests (tests/integration) get the real local
stack, brought up once per run through the same code path as `raygram stack up`.
"""

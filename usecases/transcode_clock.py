"""When a transcode's deadline falls: pure, so it is unit-tested without Ray or Redis.

The deadline counts from when an attempt is seen to begin (the task bumps its attempts counter
as it starts on a worker), not from submission: a task queued behind others in Ray has not used
any of its time. Ray's retry of a task whose worker died is a new attempt, with a new deadline.
"""
from __future__ import annotations


class AttemptClock:
    def __init__(self, deadline_s: float, begun: int | None) -> None:
        """``begun``: the attempts counter before the task was submitted (None: unknown)."""
        self.deadline_s, self.begun = deadline_s, begun
        self.started: float | None = None

    def wait_s(self, now: float, poll_s: float) -> float:
        """How long to wait for the result before looking again."""
        if self.started is None:
            return poll_s
        return max(0.0, self.started + self.deadline_s - now)

    def expired(self, attempts: int | None, now: float) -> bool:
        """Fed the attempts counter as read now (None: unreadable); True once the attempt running
        has had its deadline."""
        if attempts is not None:
            if self.begun is None:
                # The baseline was unknown: an attempt may be running already; count from now.
                self.begun = attempts
                if attempts > 0:
                    self.started = now
            elif attempts > self.begun:
                self.begun, self.started = attempts, now
        return self.started is not None and now >= self.started + self.deadline_s

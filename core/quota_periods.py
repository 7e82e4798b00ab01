"""Upload quota periods (pure): which UTC day and month a moment falls in, and when each ends."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


@dataclass(frozen=True)
class Period:
    name: str           # "day-20261121" / "month-202611"
    seconds_left: int   # until the period ends (Retry-After when it is full)


def periods(now_ms: int) -> tuple[Period, Period]:
    now = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc)
    next_day = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    first_of_next = (now.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)

    def left(end: datetime) -> int:
        return max(1, int((end - now).total_seconds() + 0.999))

    return (Period(f"day-{now:%Y%m%d}", left(next_day)), Period(f"month-{now:%Y%m}", left(first_of_next)))

from core.ids import EPOCH_MS, MAX_SEQUENCE, IdGenerator, min_id_at, timestamp_ms


class StepClock:
    def __init__(self, *values: int) -> None:
        self.values = list(values)

    def __call__(self) -> int:
        return self.values.pop(0) if len(self.values) > 1 else self.values[0]


def test_ids_increase_and_carry_their_time():
    gen = IdGenerator(worker=7, clock=StepClock(EPOCH_MS + 1000, EPOCH_MS + 1000, EPOCH_MS + 1001))
    a, b, c = gen.next_id(), gen.next_id(), gen.next_id()
    assert a < b < c
    assert timestamp_ms(a) == EPOCH_MS + 1000 and timestamp_ms(c) == EPOCH_MS + 1001
    assert a.bit_length() <= 63


def test_workers_never_collide_in_the_same_millisecond():
    now = EPOCH_MS + 5
    ids = {IdGenerator(worker=w, clock=lambda: now).next_id() for w in range(1024)}
    assert len(ids) == 1024


def test_a_full_millisecond_borrows_the_next_one():
    gen = IdGenerator(worker=1, clock=lambda: EPOCH_MS + 10)
    ids = [gen.next_id() for _ in range(MAX_SEQUENCE + 3)]
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    assert timestamp_ms(ids[-1]) == EPOCH_MS + 11


def test_a_clock_stepping_back_does_not_reissue_ids():
    gen = IdGenerator(worker=1, clock=StepClock(EPOCH_MS + 100, EPOCH_MS + 50, EPOCH_MS + 50))
    ids = [gen.next_id() for _ in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_min_id_at_bounds_every_id_issued_from_then_on():
    gen = IdGenerator(worker=1023, clock=lambda: EPOCH_MS + 42)
    assert min_id_at(EPOCH_MS + 42) <= gen.next_id() < min_id_at(EPOCH_MS + 43)

"""The periodic-job loop (usecases/periodic.py): the first run now or after an interval, a
failure retried next interval, stop() ends it."""
import asyncio

from usecases.periodic import Periodic


def test_runs_every_interval_through_failures_until_stopped():
    async def scenario():
        runs = []

        async def job():
            runs.append(len(runs))
            if len(runs) == 1:
                raise RuntimeError("the first run fails")

        periodic = Periodic("test", 0.01, job, first_now=True)
        periodic.start()
        await asyncio.sleep(0.1)
        await periodic.stop()
        count = len(runs)
        await asyncio.sleep(0.03)
        return count, len(runs)

    count, later = asyncio.run(scenario())
    assert count >= 3 and later == count


def test_waits_one_interval_first_unless_told():
    async def scenario():
        runs = []

        async def job():
            runs.append(1)

        periodic = Periodic("test", 10, job)
        periodic.start()
        await asyncio.sleep(0.02)
        await periodic.stop()
        return runs

    assert asyncio.run(scenario()) == []

"""The worker pool under the task manager: bounded, queued beyond its bound, and waited for with a
deadline. No Qt and no Docker needed: plain objects with a run()."""

from __future__ import annotations

import threading

from desktop.tasks.worker_pool import WorkerPool


class Job:
    running = 0
    most = 0
    lock = threading.Lock()

    def __init__(self, release: threading.Event, started: threading.Semaphore):
        self.release, self.started, self.done = release, started, threading.Event()

    def run(self) -> None:
        with Job.lock:
            Job.running += 1
            Job.most = max(Job.most, Job.running)
        self.started.release()
        self.release.wait(10)
        with Job.lock:
            Job.running -= 1
        self.done.set()


def test_at_most_max_threads_run_the_rest_wait_and_all_are_waited_for():
    pool = WorkerPool(3, "test")
    release, started = threading.Event(), threading.Semaphore(0)
    jobs = [Job(release, started) for _ in range(10)]
    for job in jobs:
        pool.start(job)
    for _ in range(3):
        assert started.acquire(timeout=5)
    assert not started.acquire(timeout=0.2)  # a fourth does not start while three run
    assert pool.activeThreadCount() == 10 and pool.maxThreadCount() == 3
    assert pool.waitForDone(50) is False  # a deadline, not for ever
    release.set()
    assert pool.waitForDone(10000) is True
    assert all(job.done.is_set() for job in jobs) and Job.most == 3
    assert pool.activeThreadCount() == 0


def test_a_failing_task_does_not_take_its_thread_with_it():
    pool = WorkerPool(1, "test")

    class Boom:
        def run(self):
            raise RuntimeError("boom")  # Task.run never raises; the pool must survive one that does

    release, started = threading.Event(), threading.Semaphore(0)
    release.set()
    after = Job(release, started)
    pool.start(Boom())
    pool.start(after)
    assert pool.waitForDone(10000)
    assert after.done.is_set()

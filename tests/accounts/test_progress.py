"""Long work reports its progress in one shape: done of total in a phase, with the time left
estimated from the rate so far, written to the cache a bounded number of times."""

from django.core.cache import cache

from accounts.progress import (
    PERCENT,
    Progress,
    ProgressReporter,
    duration,
    job_status,
    progress_key,
    read_progress,
)


class Clock:
    """Epoch seconds that move only when the test says so."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_time_left_follows_the_rate_so_far():
    record = Progress("checking rows", 1_200, 5_000, "rows checked", 100.0, 160.0)

    assert record.percent == 24
    assert record.eta_seconds == 190.0  # 1,200 rows in 60 s: 3,800 more in 190 s
    assert record.text == "1,200 of 5,000 rows checked, about 3 min left"


def test_no_estimate_before_the_first_rows_nor_once_all_are_done():
    assert Progress("importing", 0, 10, "rows imported", 5.0, 9.0).text == (
        "0 of 10 rows imported"
    )
    assert Progress("importing", 10, 10, "rows imported", 5.0, 9.0).text == (
        "10 of 10 rows imported"
    )
    unknown = Progress("reading rows", 300, None, "rows read", 5.0, 9.0)
    assert (unknown.text, unknown.percent, unknown.eta_seconds) == ("300 rows read", None, None)


def test_a_draw_counts_in_percent():
    record = Progress("Selecting 40 tickets", 40, 100, PERCENT, 0.0, 4.0)

    assert record.text == "40% done, about 6 s left"


def test_durations_read_as_people_say_them():
    assert [duration(s) for s in (0.2, 42, 125, 3600, 4230)] == [
        "1 s",
        "42 s",
        "2 min",
        "1 h",
        "1 h 10 min",
    ]


def test_a_worker_writes_at_most_twice_a_second_however_often_it_reports(db):
    clock = Clock()
    reporter = ProgressReporter("test-job", 1, clock=clock)
    reporter.phase("checking rows", 100_000, "rows checked")
    for done in range(1_000, 100_000, 1_000):  # a chunk every 0.1 s: 10 s of work
        clock.now += 0.1
        reporter.update(done)
    clock.now += 0.1
    reporter.update(100_000)

    # 100 reports; written at the start, at most once per half second of the 10 s, the end.
    assert 10 <= reporter.writes <= 22
    record = read_progress("test-job", 1)
    assert (record.done, record.total, record.percent) == (100_000, 100_000, 100)
    reporter.clear()
    assert read_progress("test-job", 1) is None


def test_a_new_phase_is_written_at_once_and_restarts_the_rate(db):
    clock = Clock()
    reporter = ProgressReporter("test-job", 2, clock=clock)
    reporter.phase("reading rows", 10, "rows read")
    clock.now += 0.1
    reporter.update(10)
    clock.now += 0.1
    reporter.phase("importing", 10, "rows imported")

    record = read_progress("test-job", 2)
    assert (record.phase, record.done, record.started_at) == ("importing", 0, clock.now)
    reporter.clear()


def test_a_listener_hears_every_chunk_and_nothing_is_stored_without_a_job():
    heard = []
    reporter = ProgressReporter(listener=heard.append, clock=Clock())
    reporter.phase("checking rows", 3, "rows checked")
    for done in (1, 2, 3):
        reporter.update(done)

    assert [snapshot.done for snapshot in heard] == [0, 1, 2, 3]
    assert reporter.writes == 0


def test_a_record_of_another_shape_reads_as_none(db):
    cache.set(progress_key("test-job", 3), (40, "an older release's tuple"))

    assert read_progress("test-job", 3) is None
    cache.delete(progress_key("test-job", 3))


def test_the_status_json_says_what_the_page_shows():
    record = Progress("checking rows", 50, 200, "rows checked", 0.0, 10.0)

    job = job_status(
        status="running", status_label="Running", finished=False, record=record, waiting="…"
    )

    assert job["percent"] == 25 and job["phase"] == "checking rows"
    assert job["text"] == "50 of 200 rows checked, about 30 s left"
    assert job["progress"]["eta_seconds"] == 30
    assert job["progress"]["started_at"] == "1970-01-01T00:00:00+00:00"
    waiting = job_status(
        status="queued", status_label="Queued", finished=False, record=None, waiting="Waiting"
    )
    assert (waiting["percent"], waiting["text"], waiting["progress"]) == (None, "Waiting", None)

# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: install demo serve test test-calendar lint worker beat bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo
	DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# The suite runs with DEBUG off, as production does; it only needs a throwaway key. It runs in
# TEST_WORKERS processes (pytest-xdist; each its own test database and Redis database), a
# file's tests in one process so module fixtures (a browser, a seeded demo) are made once, in
# collection order (files needing no database first, then files marked slow, longest first), each
# worker one file ahead (tests/conftest.py).
# Five processes keep two cores busy while some tests wait on a browser, a worker or a lock.
# Each process would compile every test file (and rewrite its asserts) again: the suite writes
# bytecode even where PYTHONDONTWRITEBYTECODE is set, and two collections first (one a core,
# half the files each) fill the cache the processes then share (13 s of CPU saved in each);
# they skip schemathesis's plugin, whose items (built from the API schema) they do not need.
# Beside them, Hypothesis writes its table of the characters UTF-8 encodes (.hypothesis/), which
# each process would otherwise compute on a fresh clone (1.5 s of CPU).
TEST_WORKERS ?= 5
TEST_ENV = DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-test-only-secret-key} DJANGO_SECURE_SSL_REDIRECT=0 \
	PYTHONDONTWRITEBYTECODE=
test: install
	$(TEST_ENV) $(BIN)/pytest --collect-only -q -p no:schemathesis $(wildcard tests/[a-r]*/) \
		>/dev/null 2>&1 & \
		$(PY) -c "from hypothesis.internal import charmap as c; c.charmap(); \
		c.intervals_from_codec('utf-8')" & \
		$(TEST_ENV) $(BIN)/pytest --collect-only -q -p no:schemathesis \
		$(wildcard tests/[s-z]*/ tests/test_*.py) >/dev/null 2>&1; wait
	$(TEST_ENV) $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(ARGS)

# The tests that read the calendar, run again on the days where calendars break: a month's
# first day (a Sunday, whose week belongs to the month before), the half hour after midnight
# on a month's first Monday (yesterday's week belongs to the month before), 31 Dec 2026 (ISO
# week 53), New Year's Day 2027 and the night Europe changes to summer time (Europe/Madrid).
CALENDAR_TESTS = tests/scorecards tests/rollups tests/portal tests/coaching tests/notifications \
	tests/audits/test_disputes.py tests/audits/test_dispute_api.py tests/sampling \
	tests/test_seed_demo.py
CALENDAR_DAYS = 2026-11-01T10:00:00+00:00 2026-12-07T00:30:00+00:00 2026-12-31T23:30:00+00:00 \
	2027-01-01T00:30:00+00:00 2027-03-28T01:30:00+00:00
test-calendar: install
	for day in $(CALENDAR_DAYS); do \
		echo "== the calendar tests on $$day"; \
		$(TEST_ENV) QA_FROZEN_NOW=$$day $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile \
			--no-loadscope-reorder -q \
			-m "not browser and not celery_worker" $(CALENDAR_TESTS) || exit 1; \
	done

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

worker: install
	$(BIN)/celery -A qa_program worker --loglevel=info

beat: install
	$(BIN)/celery -A qa_program beat --loglevel=info --scheduler django_celery_beat.schedulers:DatabaseScheduler

bench: install
	# A bench that needs PostgreSQL exits 2 with a message when DATABASE_URL is not one.
	for f in bench/[!_]*.py; do $(PY) $$f; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 2 ] || exit $$rc; done

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

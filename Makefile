# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: install demo serve test lint worker beat bench clean

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

# The suite runs with DEBUG off, as production does; it only needs a throwaway key.
test: install
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-test-only-secret-key} DJANGO_SECURE_SSL_REDIRECT=0 \
		$(BIN)/pytest $(ARGS)

lint: install
	$(BIN)/ruff check .

worker: install
	$(BIN)/celery -A qa_program worker --loglevel=info

beat: install
	$(BIN)/celery -A qa_program beat --loglevel=info --scheduler django_celery_beat.schedulers:DatabaseScheduler

bench: install
	# A bench that needs PostgreSQL exits 2 with a message when DATABASE_URL is not one.
	for f in bench/[!_]*.py; do $(PY) $$f; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 2 ] || exit $$rc; done

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

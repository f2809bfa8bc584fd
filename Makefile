# is2in: `make run` serves the demo, `make test` runs every test. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
HTMX_VERSION := 2.0.11
AXE_VERSION := 4.11.0


.PHONY: screens lint run test test-sqlite test-postgres install translations browser extract-messages vendor bench clean audit soak

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP) translations

# Compiled catalogues are build output; the .po files are the source.
translations: $(STAMP)
	@for dir in core/translations plugins/*/translations examples/*/*/translations; do \
	  [ -d $$dir ] || continue; \
	  $(BIN)/pybabel compile -d $$dir -f >/dev/null || exit 1; \
	done

run: install
	$(BIN)/is2in db upgrade
	$(BIN)/is2in demo
	$(BIN)/is2in pki demo
	$(BIN)/is2in run --host 127.0.0.1 --port 5000 --with-threads

# Browser tests drive Debian's Chromium; never a downloaded browser.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/pdftoppm ] || [ ! -x /usr/bin/certutil ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils libnss3-tools >/dev/null; \
	  else echo "missing: sudo apt-get install -y chromium poppler-utils libnss3-tools"; exit 1; fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check core plugins tests examples bench
	$(BIN)/ruff format --check core plugins tests examples bench

# Supply chain (docs/security.md): bandit over the app's code, pip-audit over the pinned lock file.
audit: $(STAMP)
	$(BIN)/bandit -c pyproject.toml -r core plugins -q
	$(BIN)/python .ci/pip_audit.py requirements.lock

test: install browser lint audit
	$(BIN)/pytest -q -n 2 --dist loadfile
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  echo "--- the same suite on PostgreSQL ($(PG_TEST_URL))"; \
	  IS2IN_SOAK_SECONDS=30 IS2IN_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q -n 2 --dist loadfile -m "not browser"; \
	else echo "PostgreSQL is not reachable at 127.0.0.1:5432: PostgreSQL run skipped"; fi

# Benchmarks report, they are not tests: a fresh instance and database in bench/.work, the scale demo, three
# scenarios, a table on stdout and bench/results.json (20-30 minutes). BENCH_SECONDS, BENCH_ORDERS... shrink it;
# BENCH_DATABASE_URL runs it on PostgreSQL (README, "Benchmarks").
bench: install
	$(BIN)/python -m bench

# The issue's load: 32 clients for five minutes against gunicorn on PostgreSQL (`make test` runs it for 30 s).
soak: install
	IS2IN_SOAK_SECONDS=$${IS2IN_SOAK_SECONDS:-300} IS2IN_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q tests/security/test_load.py

# One catalogue for the core (core/ and templates/), one per plugin in its own translations/ folder.
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o core/translations/messages.pot --no-location --sort-output core templates
	@for l in kk en; do [ -f core/translations/$$l/LC_MESSAGES/messages.po ] || $(BIN)/pybabel init -i core/translations/messages.pot -d core/translations -l $$l; done
	$(BIN)/pybabel update -i core/translations/messages.pot -d core/translations --no-fuzzy-matching --ignore-obsolete
	@for p in plugins/*/; do \
	  n=$$(basename $$p); [ -f $$p/__init__.py ] || continue; \
	  $(BIN)/pybabel extract -F babel.cfg -k _l -o $$p/translations/messages.pot --no-location --sort-output $$p >/dev/null 2>&1 || continue; \
	  grep -q '^msgid "[^"]' $$p/translations/messages.pot || { rm -rf $$p/translations; continue; }; \
	  for l in kk en; do [ -f $$p/translations/$$l/LC_MESSAGES/messages.po ] || $(BIN)/pybabel init -i $$p/translations/messages.pot -d $$p/translations -l $$l; done; \
	  $(BIN)/pybabel update -i $$p/translations/messages.pot -d $$p/translations --no-fuzzy-matching --ignore-obsolete; \
	done

vendor:
	cd /tmp && npm pack htmx.org@$(HTMX_VERSION) >/dev/null && tar xzf htmx.org-$(HTMX_VERSION).tgz package/dist/htmx.min.js \
	  && cp package/dist/htmx.min.js $(CURDIR)/core/static/vendor/htmx-$(HTMX_VERSION).min.js
	# axe-core, for the browser tests only (tests/browser/test_layout.py); never served by the app
	cd /tmp && npm pack axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz package/axe.min.js package/LICENSE \
	  && cp package/axe.min.js $(CURDIR)/tests/browser/vendor/axe-$(AXE_VERSION).min.js \
	  && cp package/LICENSE $(CURDIR)/tests/browser/vendor/axe-LICENSE.txt

# Screenshots of the main pages at 1366×768 and 390×844 for docs/screens/ (issue 15), from a fresh demo.
# Every test that leaves a picture in docs/screens/ (the main pages, the journeys' approval and signing screens,
# the features beyond the guide); a plain `make test` writes its pictures into test-artifacts/ instead.
SCREEN_TESTS := tests/browser/test_screens.py tests/browser/test_listing_journey.py tests/browser/test_delegation.py \
  tests/browser/test_integrations.py tests/browser/test_user_confirmation.py tests/browser/test_review_clock_and_changes.py
screens: install browser
	IS2IN_SCREENS=$(CURDIR)/docs/screens $(BIN)/pytest -q -p no:randomly $(SCREEN_TESTS)

clean:
	rm -rf $(VENV) instance .pytest_cache

# Tribune. `make run` serves http://127.0.0.1:8000; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench bench-writes bench-compression lighthouse clean messages translations

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Tribune needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) translations

# Translations. Source strings are French; `make messages` extracts them (babel.cfg) into the template,
# updates both catalogues (the French one is filled from the source) and compiles them. Every `make
# run` / `make test` compiles a catalogue whose .po is newer than its .mo (which git ignores).
LOCALES := fr en
CATALOGUES := app/translations
POT := $(CATALOGUES)/messages.pot
MO_FILES := $(foreach l,$(LOCALES),$(CATALOGUES)/$(l)/LC_MESSAGES/messages.mo)

translations: $(MO_FILES)

$(CATALOGUES)/%/LC_MESSAGES/messages.mo: $(CATALOGUES)/%/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel -q compile -l $* -i $< -o $@

messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 --no-wrap --sort-by-file \
		--project Tribune --copyright-holder "Tribune" -o $(POT) .
	@for l in $(LOCALES); do \
		if [ -f $(CATALOGUES)/$$l/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel -q update --no-wrap --ignore-obsolete --ignore-pot-creation-date -i $(POT) -d $(CATALOGUES) -l $$l || exit 1; \
		else \
			$(BIN)/pybabel -q init --no-wrap -i $(POT) -d $(CATALOGUES) -l $$l || exit 1; \
		fi; \
	done
	$(BIN)/python $(CATALOGUES)/fill_source.py $(CATALOGUES)/fr/LC_MESSAGES/messages.po
	$(BIN)/pybabel -q compile -d $(CATALOGUES)
	@$(BIN)/python $(CATALOGUES)/fill_source.py --report $(CATALOGUES)/en/LC_MESSAGES/messages.po

run: setup
	$(BIN)/tribune init
	$(BIN)/tribune serve --host 127.0.0.1 --port 8000

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/ruff format --check app tests migrations bench

# The load bench, then Lighthouse's scores on the article page (issue 15: Lighthouse runs in
# `make bench`, the W3C validator in the suite).
bench: setup
	$(BIN)/python bench/run.py
	$(MAKE) --no-print-directory lighthouse

bench-writes: setup
	$(BIN)/python bench/writes.py

bench-compression: setup
	$(BIN)/python bench/compression.py

# Lighthouse (npm, tests/browser) with Debian's Chromium on the article page: the four scores, mobile
# and desktop, anonymous and signed in.
lighthouse: setup
	test -x tests/browser/node_modules/.bin/lighthouse || npm ci --prefix tests/browser --no-audit --no-fund
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium} $(BIN)/python bench/lighthouse.py

clean:
	rm -rf $(VENV) instance .pytest_cache

# healthaid — the two commands in the README are `make run` and `make test`.
# Everything is installed here, from the project's own files; nothing by hand.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP_FLAGS := -q --disable-pip-version-check

.PHONY: help venv db run run-production test test-python lint bench bench-stack bench-production \
	bench-broadcast \
	postgres postgres-stop \
	browser haproxy clean \
	eval-conversations test-conversations

# Fragments per part of the stack (mk/rasa.mk: the Rasa environment, training, bot tests).
-include mk/*.mk

help:
	@echo "make run    set up everything and start healthaid"
	@echo "make run-production   the production profile on loopback (PostgreSQL, Redis, HAProxy)"
	@echo "make test   set up everything and run every test"
	@echo "make lint   ruff and mypy;  make bench   benchmarks (figures in bench/README.md)"

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/pip install $(PIP_FLAGS) -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import settlement, registry, fastapi, sqlalchemy, hypothesis"
	touch $@

venv: $(BIN)/.installed

# The database (SQLite by default, PostgreSQL with HEALTHAID_DATABASE_URL), migrated, with the
# fictional demo residents, a demo cadre and admin, and a demo campaign.
db: venv
	$(BIN)/healthaid demo

postgres:
	scripts/postgres.sh start

# Debian's headless Chromium and ChromeDriver, for the widget's browser test.
browser:
	scripts/chromium.sh >/dev/null

postgres-stop:
	scripts/postgres.sh stop

# Debian's HAProxy, for the production profile and its tests.
haproxy:
	scripts/haproxy.sh path >/dev/null

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# pytest runs everything: unit tests, the YAML policy cases, the registry on SQLite and
# PostgreSQL, the action tests, the NLU holdout, and the end-to-end tests that start the real
# stack (gateway, Rasa with the trained model, action server) and a headless browser.
# PostgreSQL and Redis run for the duration of pytest only (scripts/postgres.sh with, redis.sh with).
test-python: venv browser haproxy rasa-train nlu-holdout
	scripts/postgres.sh with scripts/redis.sh with $(BIN)/pytest -q

test: lint rasa-validate rasa-test-stories test-python test-conversations
	$(BIN)/healthaid policies check

# The conversation set (tests/conversations/: real residents' questions and questions written
# from the seeds only, never trained on) through a fresh stack over signed Twilio posts and the
# cadre widget. `make eval-conversations` rewrites the committed report; `make test` runs the
# same set against a regression floor, a little under the 95% target so that one flaky
# retraining does not fail CI; the committed report shows the share and every kind.
CONVERSATION_FLOOR ?= 0.93
eval-conversations: venv rasa-train
	$(BIN)/python -m bench.conversations --report bench/conversations/report.md

test-conversations: venv rasa-train
	$(BIN)/python -m bench.conversations --report test-output/conversations.md \
		--floor $(CONVERSATION_FLOOR)

bench: venv
	$(BIN)/python -m bench.settlement

# The running stack measured (gateway against direct Rasa, WeChat under a slow Rasa, replays).
bench-stack: venv db rasa-train
	$(BIN)/python -m bench.stack

# The production profile measured (bench/production/): A = make run's embedded profile, B = the
# production stores with one Rasa and one gateway, C = make run-production (2 + 2 behind
# HAProxy), side by side on 31xxx ports, interleaved, then C with a gateway and a Rasa instance
# killed mid-run. About 10 minutes; each configuration's PostgreSQL and Redis are its own.
bench-production: venv haproxy rasa-train
	$(BIN)/python -m bench.production

# Broadcasts and handoff replies measured (bench/broadcast/): 10,000 residents in a PostgreSQL
# registry, the broadcast consumer on Redis sending to the fake Twilio API at
# BROADCAST_RATE, once straight through and once SIGKILLed mid-way and restarted; then a
# cadre's replies. Ports 32000-32001, PostgreSQL 24492, Redis 24532 (PGPORT_HEALTHAID and
# REDIS_PORT_HEALTHAID to change). About 20 minutes at 20/second.
BROADCAST_RATE ?= 20/second
bench-broadcast: venv
	$(BIN)/python -m bench.broadcast --rate $(BROADCAST_RATE)

# Set up everything, then start gateway, Rasa and the action server; Ctrl-C stops all three.
run: db rasa-train
	@echo "demo sign-in: demo_cadre / healthaid-demo (village cadre), demo_admin / healthaid-demo"
	$(BIN)/python -m healthaid.stack

# The production profile on loopback (healthaid/production.py, docs/deploy.md): PostgreSQL for
# the registry and Rasa's trackers, Redis, HAProxy in front of 2 Rasa instances and 2 gateways,
# the action server with 2 workers. Everything installed from Debian's packages when missing;
# Ctrl-C stops it all. The demo accounts exist only when HEALTHAID_ENV is not production.
run-production: venv rasa-train
	@echo "demo sign-in: demo_cadre / healthaid-demo (village cadre), demo_admin / healthaid-demo"
	$(BIN)/python -m healthaid.production

clean:
	rm -rf $(VENV) $(RASA_VENV) var models test-output .rasa .pytest_cache .mypy_cache \
		.ruff_cache .hypothesis

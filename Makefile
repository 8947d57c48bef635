# Newcomer commands: `make run` (install, train if needed, start) and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
RASA := $(BIN)/rasa
PY := $(BIN)/python
export PYTHONPATH := $(CURDIR)
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

.PHONY: help install browser staff-user purge retrain rollback faq-new import-labels bench bench-retrain bench-conversation bench-console data validate train run run-scaled scaled-deps test lint eval eval-article coverage eval-clinc eval-safety compare lock clean migrate

help:
	@echo "make run      install, train if needed, start: web page with the chat :8000, Rasa :5005, actions :5055"
	@echo "make test     install if needed, lint, train if needed, run every test"
	@echo "make train    validate and train; serves the model without the evaluation gate (FORCE=1 retrains)"
	@echo "make eval     accuracy on the held-out questions (per topic, out-of-scope, red flags)"
	@echo "make eval-article  questions written from the article alone: answered with the detail asked"
	@echo "make coverage      paragraphs of the article no FAQ quotes and no development question reaches"
	@echo "make eval-safety   red-flag recall and false alarms (development and sealed sets)"
	@echo "make faq-new ID=x   add an FAQ template;  make retrain   validate, train, evaluate, serve if the bars hold"
	@echo "make rollback serve the previous model;  make import-labels   staff labels -> FAQ phrasings"
	@echo "make compare  compare NLU pipelines on the held-out questions"
	@echo "make run-scaled REPLICAS=2   production profile on one machine: PostgreSQL, Redis, HAProxy, N Rasa replicas"
	@echo "make bench                throughput and latency beside a stock rasa init bot (1, 8, 32 visitors)"
	@echo "make bench-conversation   latency at messages 1/200/400 of one conversation"
	@echo "make bench-console        staff console pages on 100,000 seeded conversations"
	@echo "make migrate  create/upgrade the project's tables, deliver queued bookings"
	@echo "make staff-user NAME=alice ROLE=admin   create a staff console account"
	@echo "make purge DAYS=365   delete conversations older than N days"

install:
	@./scripts/install.sh

data: install
	@$(PY) -m assistant.tools.build

validate: data
	@$(PY) -m assistant.tools.validate

train: validate
	@$(PY) -m assistant.tools.training $(if $(FORCE),--force,)

# Trains only when there is no model yet; after changing FAQs, `make retrain`.
run: install
	@if ls models/*.tar.gz >/dev/null 2>&1; then $(PY) -m assistant.tools.retrain --status; \
	 else $(MAKE) --no-print-directory train; fi
	@./scripts/run.sh

# The production profile on one machine (docs/deployment.md): PostgreSQL, Redis lock store,
# REPLICAS Rasa servers and two action servers behind HAProxy on :5005; data under var/scaled.
run-scaled: install scaled-deps
	@if ! ls models/*.tar.gz >/dev/null 2>&1; then $(MAKE) --no-print-directory train; fi
	@$(PY) -m assistant.tools.scaled --replicas $(or $(REPLICAS),2)

# Debian packages for run-scaled and its end-to-end test (apt-get, only when missing)
scaled-deps:
	@./scripts/install-scaled.sh

# Validate, train a candidate (cached components reused), evaluate, serve it only if the bars hold.
retrain: validate
	@$(PY) -m assistant.tools.retrain $(ARGS)

rollback: install
	@$(PY) -m assistant.tools.retrain --rollback

# make faq-new ID=knee_pain [GROUP=condition]   (appends a commented template)
faq-new: install
	@test -n "$(ID)" || { echo "usage: make faq-new ID=<faq_id> [GROUP=<file name in data/faq>]"; exit 2; }
	@$(PY) -m assistant.tools.scaffold "$(ID)" $(if $(GROUP),--group $(GROUP),)

# Throughput and latency beside a stock `rasa init` bot at 1, 8 and 32 visitors, then the scaled
# profile with 1 and 2 replicas (ARGS="--seconds 30", ARGS=--no-scaled)
bench: train scaled-deps
	@$(PY) -m tests.bench_throughput $(ARGS)

# Seconds for `make retrain` after new phrasings (fine-tune) and after a new FAQ (full), on a copy
bench-retrain: validate
	@$(PY) -m tests.bench_retrain

# Latency along one 400-message conversation, with and without the session limit
bench-conversation: train
	@$(PY) -m tests.bench_conversation $(ARGS)

bench-console: install
	@$(PY) -m tests.bench_console $(ARGS)

# Staff labels from the console -> FAQ phrasings (prints the diff for review)
import-labels: install
	@$(PY) -m assistant.tools.import_labels

lint: install
	@$(BIN)/ruff check .

browser:
	@./scripts/install-browser.sh

test: lint train browser scaled-deps
	@$(BIN)/pytest
	@$(RASA) test core --stories tests/stories --model models --fail-on-prediction-errors \
	  --out var/results/core > var/test-core.log 2>&1 || { tail -40 var/test-core.log; exit 1; }
	@grep -E "Correct:" var/test-core.log | sed "s/^.* - //" || true
	@echo "rasa test core: every test story in tests/stories passed"

eval: train
	@$(PY) -m assistant.tools.evaluate $(ARGS)
	@$(PY) -m assistant.tools.evaluate_article

# Questions written from the article alone: answered with the detail asked, declined when out of
# scope (development sets with ARGS=--show; sealed sets print numbers only)
eval-article: train
	@$(PY) -m assistant.tools.evaluate_article $(ARGS)

# Paragraphs of the article no FAQ quotes (or quotes next to) and no development question reaches
coverage: train
	@$(PY) -m assistant.tools.coverage $(ARGS)

# Out-of-scope check on CLINC150's public test queries (numbers only)
eval-clinc: train
	@$(PY) -m assistant.tools.evaluate_clinc $(ARGS)

# Red-flag recall and false alarms: development set (ARGS=--show) and the sealed set (numbers only)
eval-safety: install
	@$(PY) -m assistant.tools.evaluate_safety $(ARGS)

compare: validate
	@$(PY) -m assistant.tools.compare

migrate: install
	@$(PY) -m assistant.maintenance

# make staff-user NAME=alice ROLE=admin   (asks for the password)
staff-user: install
	@test -n "$(NAME)" || { echo "usage: make staff-user NAME=<username> [ROLE=staff|admin]"; exit 2; }
	@$(PY) -m webapp.staff.cli create-user "$(NAME)" --role "$(or $(ROLE),staff)"

# make purge DAYS=365   (default RETENTION_DAYS or 365)
purge: install
	@$(PY) -m assistant.retention $(if $(DAYS),--days $(DAYS),)

lock: install
	@./scripts/lock.sh

clean:
	rm -rf models/*.tar.gz data/generated .pytest_cache reports results node_modules

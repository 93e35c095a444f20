# healthaid: the Rasa project (bot/, data/nlu/). Included by the main Makefile (include mk/*.mk);
# also usable alone: make -f mk/rasa.mk rasa-train.
#
# Rasa Open Source 3.6 runs only on Python 3.10, so it has its own virtual environment.
# Every command runs from the repository root; models/ and test-output/ are git-ignored.

RASA_VENV := .venv-rasa
RASA_PY := $(RASA_VENV)/bin/python
RASA := $(RASA_VENV)/bin/rasa
RASA_FLAGS := --config bot/config.yml --domain bot/domain.yml
RASA_DATA := bot/data data/nlu
RASA_MODEL := models/healthaid.tar.gz
RASA_INPUTS := bot/config.yml bot/domain.yml $(wildcard bot/data/*.yml data/nlu/*.yml data/nlu/jieba/*)
PYTHON310 ?= $(firstword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.10.*/bin/python))
# TensorFlow is quiet and never asks about telemetry in make runs.
# PYTHONPATH: the pipeline's DomainReader lives in bot/components and imports understanding/.
RASA_ENV := TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false PYTHONPATH=$(CURDIR)

.PHONY: rasa-venv rasa-train rasa-validate nlu-report rasa-test-stories nlu-holdout rasa-check

# Reinstalled when bot/requirements.txt changes (pip keeps what is already there); the model
# depends on the environment only by order, so a new requirement does not retrain.
$(RASA_VENV)/.installed: bot/requirements.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 not found under pyenv (set PYTHON310=...)"; exit 1; }
	test -x $(RASA_PY) || $(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install -q --disable-pip-version-check -r bot/requirements.txt 2>&1 \
		| grep -v "^WARNING: Location" || true
	$(RASA_PY) -c "import rasa, jieba, pypinyin"
	touch $@

rasa-venv: $(RASA_VENV)/.installed

# Make retrains only when an input changed; rasa's own fingerprint then skips the parts
# (NLU or core) that did not.
$(RASA_MODEL): $(RASA_INPUTS) | $(RASA_VENV)/.installed
	$(RASA_ENV) $(RASA) train $(RASA_FLAGS) --data $(RASA_DATA) --out models \
		--fixed-model-name healthaid
	@touch $@

rasa-train: $(RASA_MODEL)

rasa-validate: rasa-venv
	$(RASA_ENV) $(RASA) data validate $(RASA_FLAGS) --data $(RASA_DATA)

# Five-fold cross-validation of the NLU (see bench/README.md for its time). Writes the
# committed report and the SHA-256 of its inputs; tests/bot/test_nlu_report_fresh.py fails
# when the inputs change without a new report.
# It scores the classifier: the configuration without the DomainReader
# (bench/nlu_report/classifier_config.py says why); the whole pipeline is scored by the
# conversation set (make eval-conversations).
nlu-report: rasa-venv
	rm -rf test-output/nlu_cv
	$(RASA_PY) -m bench.nlu_report.classifier_config test-output/cv_config.yml
	$(RASA_ENV) $(RASA) test nlu --config test-output/cv_config.yml --nlu data/nlu \
		--cross-validation --folds 5 --out test-output/nlu_cv
	$(RASA_PY) -m bench.nlu_report.summarise test-output/nlu_cv

# Dialogue test stories: rasa predicts every action of bot/tests/*.yml without running custom
# actions (their events are in the stories), so no action server is needed.
rasa-test-stories: $(RASA_MODEL)
	$(RASA_ENV) $(RASA) test core --model $(RASA_MODEL) --stories bot/tests \
		--fail-on-prediction-errors --out test-output/stories

# Scores tests/nlu_holdout.yml (never trained on); tests/bot/test_nlu_holdout.py reads the result.
nlu-holdout: $(RASA_MODEL)
	rm -rf test-output/nlu_holdout
	$(RASA_ENV) $(RASA) test nlu --model $(RASA_MODEL) --nlu tests/nlu_holdout.yml \
		--out test-output/nlu_holdout
	$(RASA_PY) -m bench.nlu_report.summarise --holdout test-output/nlu_holdout

rasa-check: rasa-validate rasa-test-stories nlu-holdout

# Two commands for a newcomer (see README): `make run` and `make test`.
# Each installs what it needs the first time and is quick the second time.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JAR    := build/lib/telemetry-connectors.jar
ARGS   ?=
PYTEST_ARGS ?=

.PHONY: run test replay jars venv clean

venv: $(STAMP)
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# The real Flink AWS connectors, shaded into one jar (connectors/pom.xml). Not fatal when Maven
# cannot fetch them: the run and the tests say what that leaves out.
jars:
	@if [ ! -f $(JAR) ] || [ connectors/pom.xml -nt $(JAR) ]; then \
	  mvn -q -B -U -f connectors/pom.xml package > build-jars.log 2>&1 \
	    && echo "connector jar built: $(JAR)" \
	    || { echo "WARNING: connector jar not built; Maven could not resolve (see build-jars.log):"; \
	         grep -o -E 'org\.apache\.flink:flink-connector-(aws|dynamodb)[^ ,]*' build-jars.log | sed 's/:$$//' | sort -u | sed 's/^/  /'; }; \
	fi

# checkov pins boto3 and packaging versions that clash with the job's dev tools: own venv.
CHECKOV := build/checkov-venv/bin/checkov
$(CHECKOV):
	$(PYTHON) -m venv build/checkov-venv
	build/checkov-venv/bin/python -m pip install --quiet 'checkov>=3.2,<4'

run: venv jars
	$(PY) -m jobs.local_run $(ARGS)

test: venv jars $(CHECKOV)
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf build out build-jars.log

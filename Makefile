# Two commands for a newcomer (see README): `make run` and `make test`.
# Each installs what it needs the first time and is quick the second time.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JAR    := build/lib/telemetry-connectors.jar
HELPERS := build/lib/telemetry-helpers.jar
# Only the helpers that need nothing but Flink (the Kinesis deserializer needs the connectors).
HELPER_SOURCES := $(addprefix connectors/src/main/java/io/telemetry/flink/,TelemetryWatermarks.java TelemetryContract.java RateBaselines.java CopyNumbers.java ShardVerdicts.java LinePacker.java JobMetrics.java ArchiveLine.java ValidReading.java)
ARGS   ?=
PYTEST_ARGS ?=

.PHONY: run test jars helpers venv clean distclean

venv: $(STAMP)
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,fleet-view]'
	touch $@

# The real Flink AWS connectors from Maven Central, shaded into one jar (connectors/pom.xml).
# CONNECTOR_REPO=<folder or URL> adds a repository consulted after Central (a mirror, or a folder
# laid out as a Maven repository). Outside CI a failure is a warning and `make run` says what that
# leaves out; under CI=true it fails the build with Maven's error, so the AWS tests never skip.
CONNECTOR_REPO ?=
MVN_REPO_FLAG := $(if $(CONNECTOR_REPO),-Dconnector.repo=$(if $(findstring ://,$(CONNECTOR_REPO)),$(CONNECTOR_REPO),file://$(abspath $(CONNECTOR_REPO))))
jars:
	@if [ ! -f $(JAR) ] || [ -n "$$(find connectors -newer $(JAR) -type f)" ]; then \
	  if mvn -q -B -U -f connectors/pom.xml $(MVN_REPO_FLAG) package > build-jars.log 2>&1; then \
	    echo "connector jar built: $(JAR)"; \
	  elif [ "$${CI:-}" = "true" ]; then \
	    echo "ERROR: connector jar not built (CI needs it for the AWS tests). Maven says:"; \
	    grep -E '\[ERROR\] [^ ]' build-jars.log | head -3; exit 1; \
	  else \
	    echo "WARNING: connector jar not built (see build-jars.log):"; grep -E '\[ERROR\] [^ ]' build-jars.log | head -1; \
	    grep -o -E 'org\.apache\.flink:flink-connector-(aws|dynamodb)[^ ,]*' build-jars.log | sed 's/:$$//' | sort -u | sed 's/^/  /'; \
	    echo "  Give a repository that has them with: make jars CONNECTOR_REPO=<folder or URL>"; \
	  fi; \
	fi

# The project's Java helpers alone (connectors/src/main/java, also inside the connector jar),
# compiled against PyFlink's own jars: what the replay and the SQL tests need, with no download.
helpers: $(HELPERS)
$(HELPERS): $(HELPER_SOURCES) $(STAMP)
	@rm -rf build/helpers && mkdir -p build/helpers build/lib
	javac -parameters -nowarn --release 11 -d build/helpers -cp "$$($(PY) -c 'import pyflink, os; print(os.path.dirname(pyflink.__file__))')/lib/*" $(HELPER_SOURCES)
	jar cf $@ -C build/helpers .

# checkov pins boto3 and packaging versions that clash with the job's dev tools: own venv.
CHECKOV := build/checkov-venv/bin/checkov
$(CHECKOV):
	$(PYTHON) -m venv build/checkov-venv
	build/checkov-venv/bin/python -m pip install --quiet 'checkov>=3.2,<4'

run: venv helpers jars
	$(PY) -m tooling.local_run $(ARGS)

test: venv helpers jars $(CHECKOV)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

# Outputs and intermediate files; the connector jar (a Maven download) and the venv stay.
clean:
	rm -rf out build-jars.log build/helpers build/*.zip build/checkov-venv

# Everything the build made, the connector jar and the venv included.
distclean: clean
	rm -rf build $(VENV)

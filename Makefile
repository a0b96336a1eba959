# Build and test telephony.starface. `make help` lists the targets.
# Tested on Debian 12 as root; `make deps` installs what the tests need.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --no-print-directory

ROOT := $(CURDIR)
# The venv is built from Debian's Python (a pyenv shim may not run, see README).
PYTHON ?= /usr/bin/python3
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
VENV := $(ROOT)/.venv
BIN := $(VENV)/bin
BUILD := $(ROOT)/.build
COLLECTION := ansible_collections/telephony/starface
# a symlink to the work tree, for pytest and ansible-playbook
LINK := $(BUILD)/collections/$(COLLECTION)
# a physical copy, for ansible-test (it refuses symlinked paths)
COPY := $(BUILD)/sanity/$(COLLECTION)
VERSION := $(shell sed -n 's/^version:[[:space:]]*//p' galaxy.yml)
TARBALL := $(BUILD)/dist/telephony-starface-$(VERSION).tar.gz
# publish-check: galaxy-importer's work folder, and the execution environment's definition
# (ee/ with the tarball beside it) and the build context ansible-builder writes from it
IMPORTER := $(BUILD)/importer
EE_DEF := $(BUILD)/ee-def
EE_CONTEXT := $(BUILD)/ee
# make docs: the antsibull-docs site; the HTML lands in $(DOCS)/build/html
DOCS := $(BUILD)/docs
# Modules run on the box with Python 3.8 or newer: where a Python 3.8 is found, sanity
# also compiles and imports the collection with it.
PYTHON38 ?= $(firstword $(wildcard /usr/bin/python3.8 $(HOME)/.pyenv/versions/3.8.*/bin/python3.8))

APT_PACKAGES := tomcat10 openjdk-17-jdk-headless openssl pebble openssh-server \
	python3-cryptography python3-venv shellcheck git rsync strace time \
	iptables iproute2

export PATH := $(BIN):$(PATH)
export ANSIBLE_PYTHON_INTERPRETER := $(BIN)/python
export ANSIBLE_COLLECTIONS_PATH := $(BUILD)/collections:$(VENV)/lib/python$(PY_VERSION)/site-packages

# The lab namespace: lab stages run inside a network namespace of their own, where NAT boxes
# link theirs (tests/lab/README.md); the host's network is never changed.
IN_LAB := python tests/lab/starface_lab.py netns-run --

# $(call pytest,DIR,ARGS[,PREFIX]): run pytest on DIR (PREFIX: e.g. $(IN_LAB)). No test files yet: say so and pass.
# Test files that yield no test (pytest exit 5): fail, something hides them.
define pytest
	if [ -z "$$(find $(1) -name 'test_*.py' -print -quit 2>/dev/null)" ]; then
		echo "== $(1): no test files yet, nothing to run"
		exit 0
	fi
	rc=0
	$(3) python -m pytest $(1) $(2) || rc=$$?
	if [ "$$rc" -eq 5 ]; then
		echo "== $(1) has test files but pytest ran no test (exit 5): failing" >&2
	fi
	exit "$$rc"
endef

.PHONY: help deps apt venv tree copy get-pip units integration hardening sanity lint changelog-lint \
	publish-check docs molecule molecule-mitogen test demo bench build clean distclean

help:
	@cat <<'EOF'
	make deps            install Debian packages (as root) and the venv .venv; quick when done
	make test            everything CI runs: units integration hardening sanity lint changelog-lint publish-check docs molecule molecule-mitogen
	make units           unit tests (pytest tests/unit)
	make integration     lab tests against a real Tomcat (pytest tests/integration -m lab)
	make hardening       bad input, faults, secrets and file modes on lab boxes (pytest tests/hardening)
	make sanity          ansible-test sanity on a copy in .build/sanity
	make lint            ansible-lint (production profile), shellcheck .ci/run
	make changelog-lint  antsibull-changelog lint
	make publish-check   galaxy-importer on the tarball, antsibull-docs lint, EE build context in .build/ee
	make docs            HTML docs (antsibull-docs, Sphinx warnings are errors) in .build/docs/build/html
	make molecule        the role's molecule scenarios (extensions/molecule)
	make molecule-mitogen  the fleet scenario under Mitogen's mitogen_linear strategy
	make demo            show the collection at work on a lab box
	make bench           benchmarks on 20 lab boxes (about 15 minutes); writes docs/benchmarks.md
	make build           the collection tarball in .build/dist
	make clean           remove .build, tests/output and caches (distclean: also .venv)
	EOF

deps: apt venv tree

apt:
	@missing=()
	for package in $(APT_PACKAGES); do
		dpkg -s "$$package" >/dev/null 2>&1 || missing+=("$$package")
	done
	if [ "$${#missing[@]}" -eq 0 ]; then
		exit 0
	fi
	echo "== installing Debian packages: $${missing[*]}"
	if [ "$$(id -u)" -ne 0 ]; then
		echo "make deps: these Debian packages are missing; run 'make deps' as root: $${missing[*]}" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	mkdir -p $(BUILD)
	if [ ! -f $(BUILD)/apt-updated ]; then
		apt-get update -q
		touch $(BUILD)/apt-updated
	fi
	apt-get install -y -q --no-install-recommends "$${missing[@]}"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	@echo "== installing requirements-dev.txt into .venv (Python $(PY_VERSION))"
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

tree:
	@mkdir -p $(dir $(LINK))
	if [ "$$(readlink $(LINK) 2>/dev/null)" != "../../../.." ]; then
		rm -rf $(LINK)
		ln -s ../../../.. $(LINK)
	fi

# Git-tracked and untracked-but-not-ignored files (rsync reads the .gitignore files).
# The copy gets a git repository of its own with nothing committed: ansible-test takes
# its file list from the nearest .git, which would otherwise be ours, where .build is ignored.
copy:
	@mkdir -p $(COPY)
	rsync -a --delete --delete-excluded --filter='P /.git/' --filter=':- .gitignore' \
		--exclude=/.git/ --exclude=/.build/ --exclude=/.venv/ --exclude=/tests/output/ \
		./ $(COPY)/
	[ -d $(COPY)/.git ] || git init -q $(COPY)

# ansible-test bootstraps pip in its sanity venvs with a get-pip script it downloads;
# install our offline stand-in under the name it looks for first. A real script is kept.
get-pip: venv
	@pip_version=$$(python -c 'import types; from ansible_test._internal.python_requirements \
		import get_venv_packages; print(get_venv_packages(types.SimpleNamespace(version="$(PY_VERSION)"))["pip"])')
	target=$$HOME/.ansible/test/cache/get_pip_$${pip_version//./_}.py
	if [ ! -e "$$target" ] || grep -q 'get-pip stand-in' "$$target"; then
		install -D -m 0644 tests/tools/get_pip_standin.py "$$target"
	fi

units: deps
	@echo "== units"
	$(call pytest,tests/unit,-n auto)

integration: deps
	@echo "== integration"
	$(call pytest,tests/integration,-m lab -n 2,$(IN_LAB))

hardening: deps
	@echo "== hardening"
	$(call pytest,tests/hardening,-m lab -n 2)

sanity: deps copy get-pip
	@echo "== sanity (ansible-test, Python $(PY_VERSION), in $(COPY:$(ROOT)/%=%))"
	cd $(COPY)
	ansible-test sanity --local --python $(PY_VERSION)
	if [ -z "$(PYTHON38)" ]; then
		echo "== sanity: no Python 3.8 found, box code not compiled with it (set PYTHON38=/path/to/python3.8)"
		exit 0
	fi
	echo "== sanity compile and import on Python 3.8 ($(PYTHON38))"
	PATH=$(BIN):$(dir $(PYTHON38)):$$PATH ansible-test sanity --local --python 3.8 --test compile --test import

lint: deps
	@echo "== lint"
	ansible-lint
	shellcheck .ci/run

changelog-lint: deps
	@echo "== changelog-lint"
	antsibull-changelog lint

# Galaxy's own import checks, offline: galaxy-importer on the tarball (with its ansible-doc and
# ansible-lint runs; its ansible-test run is off, `make sanity` does that), antsibull-docs' docs
# linter, and the execution environment's build context. The image is not built: no container
# engine and no registry here.
publish-check: build
	@echo "== publish-check: galaxy-importer on $(TARBALL:$(ROOT)/%=%)"
	rm -rf $(IMPORTER)
	mkdir -p $(IMPORTER)
	cd $(IMPORTER)
	cat > galaxy-importer.cfg <<'EOF'
	[galaxy-importer]
	RUN_ANSIBLE_TEST = False
	RUN_ANSIBLE_DOC = True
	RUN_ANSIBLE_LINT = True
	OFFLINE_ANSIBLE_LINT = True
	CHECK_CHANGELOG = True
	EOF
	rc=0
	# it writes importer_result.json into the current folder
	GALAXY_IMPORTER_CONFIG=$(IMPORTER)/galaxy-importer.cfg python -m galaxy_importer.main $(TARBALL) \
		>importer.log 2>&1 || rc=$$?
	grep -v '^Loading ' importer.log
	# Fail on the importer's errors and on its own warnings (changelog, ignore files, docs).
	# The ansible-lint findings it relays as warnings are `make lint`'s job (same ansible-lint,
	# same .ansible-lint, which the tarball carries); they are counted here. One of them is
	# expected: Galaxy unpacks the tarball as ansible_collections/placeholder_namespace/
	# placeholder_name, so ansible-lint cannot find telephony.starface.report (demo/site.yml).
	lint_section='/^Linting collection via ansible-lint/ {lint = 1} /^\.\.\.ansible-lint run complete/ {lint = 0}'
	problems=$$(awk "$$lint_section"' /^(ERROR|CRITICAL):/ || (!lint && /^WARNING:/)' importer.log)
	findings=$$(awk "$$lint_section"' lint && /^WARNING:/' importer.log | wc -l)
	if [ "$$rc" -ne 0 ] || [ -n "$$problems" ] || ! grep -qx 'Importer processing completed successfully' importer.log; then
		echo "== publish-check: galaxy-importer failed (exit $$rc) or reported:" >&2
		printf '%s\n' "$$problems" >&2
		exit 1
	fi
	echo "== publish-check: galaxy-importer passed ($$findings ansible-lint lines relayed as warnings, see above)"
	cd $(ROOT)
	echo "== publish-check: antsibull-docs lint-collection-docs --plugin-docs"
	# It copies the collection and its dependencies (community.crypto) to a scratch folder, a
	# folder inside a Git work tree by `git ls-files` alone (antsibull-docs PR #438). .venv is in
	# ours and git-ignored: community.crypto would arrive empty and every reference to it be
	# refused. The ceiling stops git from finding our repository above .venv.
	GIT_CEILING_DIRECTORIES=$(VENV) antsibull-docs lint-collection-docs --plugin-docs \
		--validate-collection-refs dependent --disallow-unknown-collection-refs $(LINK)
	echo "== publish-check: ansible-builder create, context in $(EE_CONTEXT:$(ROOT)/%=%)"
	rm -rf $(EE_DEF) $(EE_CONTEXT)
	mkdir -p $(EE_DEF)
	cp ee/execution-environment.yml ee/requirements.yml $(TARBALL) $(EE_DEF)/
	ansible-builder create -f $(EE_DEF)/execution-environment.yml -c $(EE_CONTEXT) --output-filename Containerfile
	fail() { echo "== publish-check: EE build context: $$*" >&2; exit 1; }
	cd $(EE_CONTEXT)
	[ -f Containerfile ] || fail "no Containerfile"
	grep -q '^COPY _build/requirements.txt ' Containerfile || fail "the Containerfile copies no requirements.txt"
	grep -q -- '-r requirements.yml' Containerfile || fail "the Containerfile installs no collections"
	grep -v '^[[:space:]]*\(#\|$$\)' $(ROOT)/requirements.txt | while read -r requirement; do
		grep -qxF "$$requirement" _build/requirements.txt || fail "_build/requirements.txt lacks $$requirement"
	done
	tarball=$$(basename $(TARBALL))
	grep -qF "/build/collections/$$tarball" _build/requirements.yml \
		|| fail "_build/requirements.yml does not name /build/collections/$$tarball (ee/requirements.yml)"
	cmp -s _build/collections/$$tarball $(TARBALL) || fail "_build/collections/$$tarball is not the tarball just built"
	# ansible-builder's introspection reads the collection's Python requirements from these
	tar -tzf $(TARBALL) >$(EE_DEF)/tarball.list
	for file in meta/execution-environment.yml requirements.txt; do
		grep -qx "$$file" $(EE_DEF)/tarball.list || fail "the tarball has no $$file"
	done
	echo "== publish-check: EE build context complete (image not built: no container engine or registry here)"
	echo "== publish-check: passed"

docs: deps
	@echo "== docs: antsibull-docs and Sphinx (warnings are errors) in $(DOCS:$(ROOT)/%=%)"
	rm -rf $(DOCS)
	# antsibull-docs wants a folder that only its owner can write
	mkdir -p $(dir $(DOCS))
	mkdir -m 0755 $(DOCS)
	antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir $(DOCS) \
		--project telephony.starface --title telephony.starface \
		--copyright 'telephony.starface contributors' telephony.starface >/dev/null
	# offline: no intersphinx, references to docs.ansible.com as plain links (see that file)
	cat docs/sphinx/conf_extra.py >>$(DOCS)/conf.py
	$(DOCS)/build.sh
	echo "== docs: $(DOCS:$(ROOT)/%=%)/build/html/index.html"

molecule: deps
	@echo "== molecule"
	if [ ! -d extensions/molecule ]; then
		echo "== extensions/molecule does not exist yet: no molecule scenario to run"
		exit 0
	fi
	cd extensions
	$(IN_LAB:tests/%=../tests/%) molecule test --all

# The fleet scenario once more with Mitogen for Ansible's mitogen_linear strategy (modules run in
# a Python kept per box). Ansible refuses an unknown strategy, so a pass means Mitogen ran it.
molecule-mitogen: deps
	@echo "== molecule fleet under mitogen_linear"
	strategies=$$(python -c 'import ansible_mitogen, os; print(os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy"))')
	cd extensions
	ANSIBLE_STRATEGY_PLUGINS=$$strategies ANSIBLE_STRATEGY=mitogen_linear $(IN_LAB:tests/%=../tests/%) molecule test -s fleet

test: units integration hardening sanity lint changelog-lint publish-check docs molecule molecule-mitogen
	@echo "== make test: all passed"

demo: deps
	@demo/demo.sh

bench: deps
	@python tests/bench/bench.py

build: deps
	@mkdir -p $(BUILD)/dist
	ansible-galaxy collection build --force --output-path $(BUILD)/dist

clean:
	@rm -rf $(BUILD) tests/output .pytest_cache
	find . -path ./.venv -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	@rm -rf $(VENV)

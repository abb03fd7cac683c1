# Shortcuts for the scripts; the README's two commands are scripts/demo.sh and scripts/test.sh full.
SHELL := /bin/bash
VENV ?= $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: demo test test-fast venv venv-compat lab lab-hosts lab-status lab-down lab-purge \
	lint sanity units compat molecule build changelog

demo:  ## bring up the lab and deploy the stack into it
	@scripts/demo.sh

test:  ## everything CI runs: fast checks, 2.19 compatibility, every Molecule scenario
	@scripts/test.sh full

test-fast:  ## lint + sanity + unit tests
	@scripts/test.sh fast

venv:
	@scripts/bootstrap-venv.sh main
venv-compat:
	@scripts/bootstrap-venv.sh compat

lab:
	@scripts/lab.sh up
lab-hosts:
	@scripts/lab.sh hosts
lab-status:
	@scripts/lab.sh status
lab-down:
	@scripts/lab.sh down
lab-purge:
	@scripts/lab.sh purge

lint sanity units compat molecule build:
	@scripts/test.sh $@

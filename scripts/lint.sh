#!/usr/bin/env bash
# `make lint`: ruff (lint + format check) and djhtml on the templates. Fails on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/djhtml --check templates

# Gachi Hub. `make run` serves the demo on http://127.0.0.1:8000/; `make test` runs everything CI runs.
.PHONY: setup run test lint format messages clean

setup:
	@scripts/setup.sh

run: setup
	@scripts/run.sh

test: setup
	@scripts/test.sh

lint: setup
	@scripts/lint.sh

format: setup
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .
	.venv/bin/djhtml templates

# Refresh the English translation catalogue after changing Korean source strings, then fill in locale/en/.
messages: setup
	.venv/bin/python manage.py makemessages -l en --ignore '.venv/*' --ignore 'var/*'
	.venv/bin/python manage.py compilemessages -l en --ignore '.venv/*'

clean:
	rm -rf .venv var

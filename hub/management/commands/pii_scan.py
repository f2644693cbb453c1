"""`manage.py pii_scan PATH|-`: the PII guard's scanner on any UTF-8 text file (or stdin), as a JSON list."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from hub.pii import pii_scan_text


class Command(BaseCommand):
    help = (
        "Scan a UTF-8 text file ('-' for stdin) for resident registration numbers, phone numbers and personal e-mail "
        "addresses. Prints a JSON list of findings (type, start, end, text, confidence); start/end are character offsets "
        "into the text (a leading BOM is not counted). Exits 0 whether or not anything is found."
    )
    stealth_options = ("stdin",)  # tests hand in their own stream

    def add_arguments(self, parser):
        parser.add_argument("path", help="a UTF-8 text file, or '-' to read stdin")
        parser.add_argument("--indent", type=int, default=None, help="pretty-print the JSON with this indent")

    def handle(self, *args, path: str, indent: int | None, **options):
        text = self._read_stdin(options.get("stdin") or sys.stdin) if path == "-" else self._read_file(Path(path))
        findings = [finding.as_dict() for finding in pii_scan_text(text)]
        self.stdout.write(json.dumps(findings, ensure_ascii=False, indent=indent))

    def _read_file(self, path: Path) -> str:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file")
        except IsADirectoryError:
            raise CommandError(f"{path}: is a directory, not a text file")
        except OSError as error:
            raise CommandError(f"{path}: cannot be read ({error.strerror})")
        return self._decode(data, source=str(path))

    def _read_stdin(self, stream) -> str:
        data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
        return data.removeprefix("\ufeff") if isinstance(data, str) else self._decode(data, source="stdin")

    def _decode(self, data: bytes, *, source: str) -> str:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CommandError(f"{source}: not UTF-8 text (invalid byte at offset {error.start})")

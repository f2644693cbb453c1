"""How the index compares with the database: documents per type, the outbox backlog, the last error."""

import json

from django.core.management.base import BaseCommand

from search.indexing import index_status, outbox_retry_now


class Command(BaseCommand):
    help = "Documents per type in the database, stored and in the index; outbox backlog and oldest pending change."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the status as JSON")
        parser.add_argument("--retry", action="store_true", help="make every postponed outbox row due now")

    def handle(self, *args, retry=False, **options):
        if retry:
            self.stdout.write(f"{outbox_retry_now()} postponed outbox rows are due now")
        status = index_status()
        if options["json"]:
            self.stdout.write(json.dumps(status, ensure_ascii=False, indent=2))
        else:
            self._table(status)
        in_sync = status["available"] and not status["outbox"]["pending"]
        in_sync = in_sync and all(t["database"] == t["stored"] == t["index"] for t in status["types"].values())
        if not in_sync:
            raise SystemExit(1)

    def _table(self, status: dict) -> None:
        self.stdout.write(
            f"backend: {status['backend']} ({'available' if status['available'] else 'UNAVAILABLE: ' + status.get('error', '')})"
        )
        self.stdout.write(f"{'type':<10} {'database':>9} {'stored':>9} {'index':>9}")
        for type_, counts in status["types"].items():
            index = "-" if counts["index"] is None else counts["index"]
            flag = "" if counts["database"] == counts["stored"] == counts["index"] else "  ≠"
            self.stdout.write(f"{type_:<10} {counts['database']:>9} {counts['stored']:>9} {index:>9}{flag}")
        outbox = status["outbox"]
        self.stdout.write(f"outbox: {outbox['pending']} pending ({outbox['failing']} failing), oldest {outbox['oldest_pending'] or '-'}")
        if outbox["last_error"]:
            self.stdout.write(f"last error: {outbox['last_error'][:300]}")

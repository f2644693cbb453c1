import csv
from pathlib import Path

from django.db import migrations

PLACES_CSV = Path(__file__).resolve().parent.parent / "data" / "places.csv"


def load(apps, schema_editor):
    """All 17 시도 and 226 시군구 (hub/data/places.csv); 시도 rows come first so parents exist."""
    Place = apps.get_model("hub", "Place")
    with PLACES_CSV.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_code = {}
    for row in sorted(rows, key=lambda r: bool(r["parent_code"])):
        level = "municipality" if row["parent_code"] else "province"
        place, _ = Place.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "name_en": row["name_en"],
                "kind": row["kind"],
                "level": level,
                "country": "KR",
                "parent": by_code.get(row["parent_code"]),
            },
        )
        by_code[place.code] = place


class Migration(migrations.Migration):
    dependencies = [("hub", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

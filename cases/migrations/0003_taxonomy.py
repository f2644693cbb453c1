from django.db import migrations

from cases.taxonomy_data import SECTORS, STAGES, TECHNOLOGIES


def load(apps, schema_editor):
    for model_name, rows in (("Sector", SECTORS), ("Technology", TECHNOLOGIES), ("Stage", STAGES)):
        model = apps.get_model("cases", model_name)
        for order, (name, name_en, slug) in enumerate(rows):
            model.objects.update_or_create(slug=slug, defaults={"name": name, "name_en": name_en, "order": order})


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

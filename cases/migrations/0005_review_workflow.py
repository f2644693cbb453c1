"""Issue 5: the curators' review of cases, and the first awards they give.

On a database whose page tree already exists, the "사례 검토" workflow goes on the case list and officials lose the
publish permission they had there; on a fresh one the tree does not exist yet, and `site_structure_ensure` runs the
same code once it has built it (cases.services.review_workflow_ensure).
"""

from django.db import migrations

AWARDS = [
    ("최우수사례", "Top practice", "top-practice", "전국 공모에서 가장 뛰어난 사례로 뽑힌 사례"),
    ("우수사례", "Best practice", "best-practice", "다른 지자체가 참고할 만한 성과와 과정을 갖춘 사례"),
    ("확산 권장", "Recommended for scale-up", "scale-up-recommended", "다른 지자체로 확산하기를 권하는 사례"),
]


def awards_load(apps, schema_editor):
    Award = apps.get_model("cases", "Award")
    for order, (name, name_en, slug, description) in enumerate(AWARDS):
        Award.objects.get_or_create(slug=slug, defaults={"name": name, "name_en": name_en, "order": order, "description": description})


def review_workflow_load(apps, schema_editor):
    from cases.services import review_workflow_ensure

    review_workflow_ensure(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_curation"),
        ("wagtailcore", "0098_apitoken"),
    ]
    operations = [
        migrations.RunPython(awards_load, migrations.RunPython.noop),
        migrations.RunPython(review_workflow_load, migrations.RunPython.noop),
    ]

"""The Elasticsearch node the suite runs against: 8.x, core server only, with the analysis DESIGN.md §4 relies on."""

import pytest
from elasticsearch import ApiError, BadRequestError, Elasticsearch


@pytest.fixture(scope="module")
def es(elasticsearch_url):
    client = Elasticsearch(elasticsearch_url, request_timeout=30)
    yield client
    client.close()


def node_info(es: Elasticsearch) -> dict:
    (node,) = es.nodes.info(metric="plugins")["nodes"].values()
    return node


def tokens(es: Elasticsearch, **analysis) -> list[str]:
    return [token["token"] for token in es.indices.analyze(**analysis)["tokens"]]


def test_the_node_is_a_healthy_elasticsearch_8(es):
    assert node_info(es)["version"].startswith("8.")
    assert es.cluster.health()["status"] in ("green", "yellow")


@pytest.mark.parametrize(
    ("analyzer", "expected"),
    [
        ("whitespace", ["The", "IoT", "플랫폼을", "Smart-City"]),
        ("standard", ["the", "iot", "플랫폼을", "smart", "city"]),
        ("keyword", ["The IoT 플랫폼을 Smart-City"]),
    ],
)
def test_core_analyzers(es, analyzer, expected):
    assert tokens(es, analyzer=analyzer, text="The IoT 플랫폼을 Smart-City") == expected


def test_core_token_filters(es):
    assert tokens(es, tokenizer="standard", filter=["lowercase"], text="Smart City") == ["smart", "city"]
    assert tokens(es, tokenizer="standard", filter=[{"type": "stop", "stopwords": ["및"]}], text="도시 및 농촌") == ["도시", "농촌"]
    shingles = {"type": "shingle", "min_shingle_size": 2, "max_shingle_size": 2, "output_unigrams": False}
    assert tokens(es, tokenizer="standard", filter=["lowercase", shingles], text="Smart City IoT") == ["smart city", "city iot"]
    # A stop filter before shingles leaves a gap that shingle fills with "_": set `filler_token` when combining them.
    assert tokens(es, tokenizer="standard", filter=["stop", shingles], text="the smart city") == ["_ smart", "smart city"]


def test_the_node_is_the_core_distribution(es):
    """org.elasticsearch.distribution.integ-test-zip: the server, no plugins, and only these modules. Core analysis,
    `more_like_this`, highlighting, terms aggregations and the completion suggester are in the server itself."""
    node = node_info(es)
    assert node["plugins"] == []
    assert {module["name"] for module in node["modules"]} == {"apm", "transport-netty4", "x-pack-core", "x-pack-security"}
    # What the missing modules would have provided: analysis-common (the whitespace tokenizer, language analysers,
    # synonyms), mapper-extras (search_as_you_type), reindex (_reindex, _update_by_query), rest-root (GET /).
    with pytest.raises(BadRequestError, match="failed to find global tokenizer under \\[whitespace\\]"):
        es.indices.analyze(tokenizer="whitespace", text="x")
    with pytest.raises(BadRequestError, match="failed to find global analyzer \\[english\\]"):
        es.indices.analyze(analyzer="english", text="x")
    with pytest.raises(BadRequestError, match="failed to find global filter under \\[synonym\\]"):
        es.indices.analyze(tokenizer="standard", filter=["synonym"], text="x")
    with pytest.raises(ApiError) as no_root:
        es.info()
    assert no_root.value.status_code == 405
    assert es.ping() is False

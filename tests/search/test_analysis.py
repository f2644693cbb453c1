"""The search analyser: the same terms for content and queries, so that a query's terms are found in a matching text."""

import time

import pytest

from search import analysis
from search.analysis import prefix_terms, query_terms, synonym_groups, terms, terms_batch


def assert_finds(document: str, query: str) -> None:
    """Every term of the query is among the document's terms (what an AND query over `*_terms` needs)."""
    missing = set(query_terms(query)) - set(terms(document))
    assert query_terms(query), query
    assert not missing, f"{query!r} → {document!r}: missing {sorted(missing)}"


def assert_finds_both_ways(a: str, b: str) -> None:
    assert_finds(a, b)
    assert_finds(b, a)


@pytest.mark.parametrize("text", ["플랫폼을", "플랫폼의", "플랫폼에서", "플랫폼으로는"])
def test_particles_are_dropped(text):
    assert terms(text) == ["플랫폼"]


@pytest.mark.parametrize(
    ("joined", "spaced"),
    [
        ("참여예산", "참여 예산"),
        ("미세먼지", "미세 먼지"),
        ("스마트횡단보도", "스마트 횡단보도"),
        ("횡단보도", "횡단 보도"),
        ("교통사고를 줄였다", "교통 사고를 줄였다"),
        ("주민참여예산 사업", "주민 참여 예산 사업"),
    ],
)
def test_compounds_match_whether_spaced_or_not(joined, spaced):
    assert_finds_both_ways(joined, spaced)
    assert set(terms(joined)) == set(terms(spaced))


def test_compound_parts_are_found_in_the_compound():
    assert_finds("스마트횡단보도를 설치했습니다", "횡단보도")
    assert_finds("미세먼지 측정망", "먼지")


def test_nouns_in_different_phrases_are_not_joined_across_punctuation():
    assert "예산주민" not in terms("예산. 주민")
    assert "예산주민" in terms("예산 주민")


def test_a_noun_kiwi_knows_whole_is_not_split_into_unrelated_words():
    assert "버스" not in terms("메타버스 플랫폼")
    assert "봇" not in terms("챗봇")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("IoT 센서로 주차 공간을 관리합니다", "사물인터넷"),
        ("사물인터넷 기반 주차 관리", "IoT"),
        ("사물 인터넷", "Internet of Things"),
        ("AI 신호제어", "인공지능"),
        ("인공지능 영상 분석", "AI"),
        ("RPA 도입으로 민원 처리 시간을 줄였습니다", "로봇 프로세스 자동화"),
        ("로봇프로세스자동화를 도입했다", "RPA"),
        ("빅데이터 분석 플랫폼", "big data"),
        ("a big data platform", "빅데이터"),
        ("디지털트윈 구축", "digital twin"),
        ("digital twins of the city", "디지털트윈"),
        ("자율주행 셔틀", "self-driving"),
        ("미세먼지 알림", "PM2.5"),
        ("participatory budgeting in Seoul", "주민참여예산"),
    ],
)
def test_synonyms_find_each_other(a, b):
    synonyms = {t for t in query_terms(b) if t.startswith(analysis.SYNONYM_PREFIX)}
    assert synonyms
    assert synonyms <= set(terms(a))


def test_synonyms_add_a_canonical_term_and_keep_the_words():
    assert {"iot", "syn:iot"} <= set(terms("IoT"))
    assert {"사물", "인터넷", "syn:iot"} <= set(terms("사물인터넷"))
    assert not any(t.startswith("syn:") for t in terms("인터넷 쇼핑"))


def test_the_synonym_table_has_at_least_25_groups_each_with_two_phrases():
    groups = synonym_groups()
    assert len(groups) >= 25
    assert all(len(phrases) >= 2 for phrases in groups.values())
    assert {"iot", "ai", "rpa", "bigdata", "digitaltwin"} <= groups.keys()


@pytest.mark.parametrize(("a", "b"), [("report", "reports"), ("monitoring", "monitor"), ("Cities", "city")])
def test_english_is_lowercased_and_stemmed(a, b):
    assert terms(a) == terms(b)


def test_english_stop_words_are_dropped_but_acronyms_kept():
    assert terms("the reports of the city") == ["report", "citi"]
    assert "its" in terms("ITS 구축")
    assert terms("its") == []


@pytest.mark.parametrize(
    ("a", "b"), [("대기시간을 줄였다", "대기시간 줄이기"), ("민원이 줄었습니다", "민원이 줄다"), ("깨끗한 거리", "거리가 깨끗하다")]
)
def test_verbs_and_adjectives_become_one_lemma(a, b):
    assert_finds_both_ways(a, b)


def test_numbers_hanja_and_mixed_text():
    result = terms("2024년 CCTV 1,200대를 漢字 표기로 설치했고 reports가 나왔다")
    assert {"2024", "1200", "cctv", "syn:cctv", "漢字", "report", "설치", "나오다"} <= set(result)
    assert "년" not in result and "를" not in result


def test_full_width_and_control_characters_are_normalised():
    assert terms("ＡＩ") == terms("AI")
    assert {"iot", "플랫폼"} <= set(terms("IoT\x00\u200b플랫폼을\x1b"))
    assert terms("\x00\x01\x1f\x7f") == []


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "!!! ... ???"])
def test_empty_input_gives_no_terms(text):
    assert terms(text) == []
    assert query_terms(text) == []


@pytest.mark.parametrize("unit", ["가", "스마트시티 ", "report ", "\x00\x07가", "1", "ㄱ", "🙂"])
def test_a_10000_character_query_is_fast(unit):
    analysis.analysis_preload()
    query = (unit * 10_000)[:10_000]
    start = time.perf_counter()
    query_terms(query)
    assert time.perf_counter() - start < 1.0


def test_no_term_contains_whitespace():
    for text in ["지리정보시스템 구축", "뉴욕 타임스 기사", "서울특별시 강남구 역삼동"]:
        assert all(t and not any(c.isspace() for c in t) for t in terms(text))


def test_prefix_terms_keep_the_unfinished_last_word_as_typed():
    assert prefix_terms("미세먼지 측정") == [*terms("미세먼지"), "측정"]
    assert prefix_terms("스마트횡") == ["스마트횡"]
    assert prefix_terms("IoT ") == terms("IoT")
    assert prefix_terms("") == []


def test_terms_batch_equals_terms_one_by_one():
    texts = ["플랫폼을 구축했다", "IoT 센서", "", "digital twin reports", "참여 예산"] * 5
    assert terms_batch(texts, workers=2) == [terms(t) for t in texts]
    assert terms_batch(texts[:3], workers=1) == [terms(t) for t in texts[:3]]

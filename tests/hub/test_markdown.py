import pytest

from hub.markdown import markdown_to_text, render_markdown
from tests.xss import executable_parts, payloads

PAYLOADS = payloads()


def test_corpus_is_large_enough():
    assert len(PAYLOADS) >= 30


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives_rendering(payload):
    html = str(render_markdown(payload))
    assert executable_parts(html) == [], html


def test_the_checker_catches_unsafe_html():
    assert executable_parts('<img src=x onerror="alert(1)">') == ["img[onerror]"]
    assert executable_parts('<a href="javascript:alert(1)">x</a>')
    assert executable_parts("<script>alert(1)</script>") == ["<script>"]


def test_ordinary_markdown_still_renders():
    html = str(
        render_markdown(
            "## 성과\n\n- 대기시간 **23% 감소**\n\n[보고서](https://example.org/r.pdf)\n\n| 지표 | 값 |\n|---|---|\n| 민원 | 30 |"
        )
    )
    assert "<h2>성과</h2>" in html and "<strong>23% 감소</strong>" in html
    assert 'href="https://example.org/r.pdf"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<table>" in html


def test_plain_text_for_snippets():
    assert markdown_to_text("**굵게** <script>x()</script> 글") == "굵게  글"

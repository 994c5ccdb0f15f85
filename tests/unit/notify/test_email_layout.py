from html.parser import HTMLParser

import pytest

from govplatform.notify.templates.email import render_html_body
from govplatform.notify.templates.email_layout import email_document
from govplatform.notify.templates.placeholders import Personalisation

VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Document(HTMLParser):
    """Reads a document, checking every tag is closed in order, and keeps what the tests look at."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.unbalanced: list[str] = []
        self.start_tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_in: dict[str, str] = {}
        self.declarations: list[str] = []
        self.feed(markup)
        self.close()

    def handle_decl(self, decl: str) -> None:
        self.declarations.append(decl)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.start_tags.append((tag, dict(attrs)))
        if tag not in VOID_ELEMENTS:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.unbalanced.append(tag)
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open:
            self.text_in[self.open[-1]] = self.text_in.get(self.open[-1], "") + data

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.start_tags if tag == name]


BODY = render_html_body(
    "# Your appointment\n\nDear ((name))\n\n* bring your passport\n* bring a bill\n\n^ Arrive early\n\n---\n\n"
    "Read https://www.gov.uk/guidance",
    Personalisation({"name": "Amala"}),
)


def document(
    *,
    subject: str = "Your appointment",
    brand_name: str | None = "Pigeon Affairs Bureau",
    preheader: str | None = "Your appointment is on 1 January",
    language: str = "en",
) -> str:
    return email_document(
        body_html=BODY, subject=subject, brand_name=brand_name, preheader=preheader, language=language
    )


def test_the_layout_is_a_complete_document_whose_tags_all_balance() -> None:
    parsed = Document(document())

    assert parsed.declarations == ["DOCTYPE html"]
    assert parsed.unbalanced == []
    assert parsed.open == []
    assert [tag for tag, _ in parsed.start_tags[:3]] == ["html", "head", "meta"]
    assert len(parsed.tags("body")) == 1


def test_the_body_html_is_inserted_as_it_is() -> None:
    assert BODY in document()


def test_a_brand_name_containing_a_script_tag_is_escaped() -> None:
    markup = document(brand_name='<script>alert("x")</script> & Co')
    parsed = Document(markup)

    assert parsed.tags("script") == []
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in markup


def test_the_subject_is_the_title_of_the_document_escaped() -> None:
    markup = document(subject="Tom & Jerry <b>now</b>")

    assert "<title>Tom &amp; Jerry &lt;b&gt;now&lt;/b&gt;</title>" in markup
    assert Document(markup).text_in["title"] == "Tom & Jerry <b>now</b>"


def test_the_preheader_is_carried_hidden_before_the_banner() -> None:
    markup = document(preheader="Bring <your> passport")
    hidden = [attrs for attrs in Document(markup).tags("div") if "display: none" in (attrs["style"] or "")]

    assert len(hidden) == 1
    assert "mso-hide: all" in (hidden[0]["style"] or "")
    assert Document(markup).text_in["div"] == "Bring <your> passport"
    assert markup.index("Bring &lt;your&gt; passport") < markup.index("Pigeon Affairs Bureau")


def test_there_is_no_hidden_preheader_without_one() -> None:
    assert "display: none" not in document(preheader=None)


@pytest.mark.parametrize("language", ["en", "cy", "en-GB"])
def test_the_document_carries_the_language(language: str) -> None:
    assert Document(document(language=language)).tags("html") == [{"lang": language}]


def test_a_language_that_is_not_a_language_tag_is_refused() -> None:
    with pytest.raises(ValueError, match="not a language tag"):
        document(language='en" onload="x')


def test_the_document_asks_apple_mail_not_to_reformat_it() -> None:
    metas = Document(document()).tags("meta")

    assert {"name": "x-apple-disable-message-reformatting"} in metas
    assert {"charset": "utf-8"} in metas


def test_every_table_is_presentational_and_the_column_is_at_most_580px_wide() -> None:
    markup = document()
    tables = Document(markup).tags("table")

    assert tables
    assert all(attrs["role"] == "presentation" for attrs in tables)
    assert any("max-width: 580px" in (attrs["style"] or "") for attrs in tables)
    assert '<!--[if mso]><table role="presentation" cellpadding="0" cellspacing="0" border="0" width="580"' in markup


def test_the_brand_name_sits_in_a_black_banner() -> None:
    parsed = Document(document())
    banner_cells = [attrs for attrs in parsed.tags("td") if attrs.get("bgcolor") == "#0b0c0c"]

    assert len(banner_cells) == 1
    assert "Pigeon Affairs Bureau" in document()


def test_without_a_brand_name_there_is_no_banner() -> None:
    parsed = Document(document(brand_name=None))

    assert [attrs for attrs in parsed.tags("td") if "bgcolor" in attrs] == []
    assert parsed.unbalanced == []
    assert parsed.open == []


def test_styles_are_inline_only_and_nothing_is_fetched_from_elsewhere() -> None:
    parsed = Document(document())

    assert parsed.tags("style") == []
    assert parsed.tags("link") == []
    assert parsed.tags("img") == []
    assert "crown" not in document().lower()

"""The "learn" pages: short educational pages kept as Markdown in tracker/content/.

Each file starts with a header read by Python-Markdown's ``meta`` extension:

    Title: What is peripheral neuropathy?
    Summary: One or two plain sentences for the index and the side panels.
    Slug: peripheral-neuropathy          (must equal the file name)
    Reviewed: 2026-11-21                 (ISO date of the last clinical review)
    Symptoms: pain                       (symptoms.py names, comma-separated; may be empty)
    Audience: patients                   (patients or practitioners)
    Related: evidence, safety            (slugs, linked at the end of the page)
    Order: 1                             (position in the list at /learn/)

The rules' numbers are never typed: a page writes ``{RECENT_DAYS}`` for a key of
``scores.FIGURES`` and the loader fills in the value before rendering, so a page says what
the code does. Only ``{UPPER_CASE_NAME}`` is a placeholder (Markdown's ``{: .class}`` and
``{#id}`` are left alone); an unknown name is a ValueError that names the file.

The body cites sources as plain bracketed numbers, ``[1]``; each becomes a link to
``#ref-1``. The body ends with a ``## References`` heading and a numbered list; each
item gets ``id="ref-N"`` and must carry a DOI, PubMed or PubMed Central link.

Pages are read and rendered once per process (``functools.cache``): restart the
server after editing content. Raw HTML in the Markdown is switched off, so the
rendered body is marked safe here and templates print ``{{ page.html }}`` as is.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from pathlib import Path

import markdown
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from tracker import scores, symptoms

CONTENT_DIR = Path(__file__).resolve().parent / "content"
AUDIENCES = ("patients", "practitioners")
HEADER_KEYS = ("title", "summary", "slug", "reviewed", "symptoms", "audience", "related", "order")
REFERENCES_HEADING = "References"
WORDS_PER_MINUTE = 200

# Pages shown in the "What this means" panel beside each chart.
PANEL_HISTORY = ("tracking-your-symptoms", "how-your-numbers-are-worked-out", "safety", "evidence")
PANEL_PRACTICE = ("tracking-your-symptoms", "how-your-numbers-are-worked-out", "evidence", "safety")

CITATION_RE = r"\[(\d+(?:,\s*\d+)*)\]"
PLACEHOLDER_RE = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


@dataclass(frozen=True)
class Reference:
    number: int
    text: str
    url: str


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    summary: str
    reviewed: datetime.date
    symptoms: tuple[str, ...]
    audience: str
    related: tuple[str, ...]
    order: int
    html: SafeString
    text: str  # prose of the body (paragraphs and list items), without references
    references: tuple[Reference, ...]
    citations: tuple[int, ...]  # reference numbers cited in the body, in order of use

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(len(self.text.split()) / WORDS_PER_MINUTE))


class _CitationProcessor(InlineProcessor):
    """``[1]`` or ``[1, 2]`` -> ``[<a href="#ref-1">1</a>, <a href="#ref-2">2</a>]``."""

    def handleMatch(self, m, data):
        span = etree.Element("span", {"class": "citation"})
        span.text = "["
        numbers = [int(n) for n in m.group(1).split(",")]
        for i, number in enumerate(numbers):
            link = etree.SubElement(
                span, "a", {"href": f"#ref-{number}", "aria-label": f"Reference {number}"}
            )
            link.text = str(number)
            link.tail = ", " if i < len(numbers) - 1 else "]"
        return span, m.start(0), m.end(0)


class _ReferencesProcessor(Treeprocessor):
    """Give each item of the References list an id; collect references, citations and prose."""

    def run(self, root):
        children = list(root)
        heading = next(
            (
                i
                for i, el in enumerate(children)
                if el.tag == "h2" and "".join(el.itertext()).strip() == REFERENCES_HEADING
            ),
            None,
        )
        body = children if heading is None else children[:heading]
        if heading is not None:
            heading_el = children[heading]
            heading_el.set("id", "references")
            refs = children[heading + 1] if heading + 1 < len(children) else None
            if refs is None or refs.tag != "ol":
                raise ValueError("the References heading must be followed by a numbered list")
            refs.set("class", "references text-break")  # long DOIs wrap on small screens
            start = int(refs.get("start", 1))
            for number, item in enumerate(refs.findall("li"), start=start):
                item.set("id", f"ref-{number}")
                link = item.find(".//a")
                self.md.learn_references.append(
                    Reference(
                        number=number,
                        text=" ".join("".join(item.itertext()).split()),
                        url=link.get("href", "") if link is not None else "",
                    )
                )
        self.md.learn_citations = [
            int(a.get("href")[len("#ref-") :])
            for block in body
            for a in block.iter("a")
            if a.get("href", "").startswith("#ref-")
        ]
        self.md.learn_text = "\n".join(_prose(body))


def _prose(blocks):
    """Paragraphs and list items as sentences: each block ends with a full stop."""
    for block in blocks:
        for el in block.iter():
            if el.tag == "p" or (el.tag == "li" and el.find("p") is None):
                text = " ".join("".join(el.itertext()).split())
                text = re.sub(r"\s*" + CITATION_RE, "", text).strip()
                if not text:
                    continue
                if text[-1] == ":":
                    text = text[:-1] + "."
                elif text[-1] not in ".!?":
                    text += "."
                yield text


class _LearnExtension(Extension):
    def extendMarkdown(self, md):
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.inlinePatterns.register(_CitationProcessor(CITATION_RE, md), "citation", 175)
        md.treeprocessors.register(_ReferencesProcessor(md), "learn_references", 15)


def _render(source: str) -> tuple[dict, str, markdown.Markdown]:
    md = markdown.Markdown(extensions=["meta", "sane_lists", "attr_list", _LearnExtension()])
    md.learn_citations = []
    md.learn_references = []
    md.learn_text = ""
    html = md.convert(source)
    return md.Meta, html, md


def fill_figures(source: str, name: str) -> str:
    """Replace each ``{NAME}`` by ``scores.FIGURES[NAME]``; an unknown NAME is a ValueError."""

    def figure(match):
        try:
            return scores.FIGURES[match.group(1)]
        except KeyError:
            raise ValueError(f"{name}: unknown placeholder {match.group(0)}") from None

    return PLACEHOLDER_RE.sub(figure, source)


def _split(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


def parse(path: Path) -> Page:
    """Read one content file. Raises ValueError when the header is incomplete or wrong."""
    meta, html, md = _render(fill_figures(path.read_text(encoding="utf-8"), path.name))
    missing = [key for key in HEADER_KEYS if key not in meta]
    if missing:
        raise ValueError(f"{path.name}: header lacks {', '.join(missing)}")
    field = {key: " ".join(meta[key]).strip() for key in HEADER_KEYS}
    page = Page(
        slug=field["slug"],
        title=field["title"],
        summary=field["summary"],
        reviewed=datetime.date.fromisoformat(field["reviewed"]),
        symptoms=_split(field["symptoms"]),
        audience=field["audience"],
        related=_split(field["related"]),
        order=int(field["order"]),
        html=mark_safe(html),  # our own content, with raw HTML switched off
        text=md.learn_text,
        references=tuple(md.learn_references),
        citations=tuple(md.learn_citations),
    )
    if page.slug != path.stem:
        raise ValueError(f"{path.name}: slug {page.slug!r} differs from the file name")
    if not page.title or not page.summary:
        raise ValueError(f"{path.name}: title and summary must not be empty")
    if unknown := set(page.symptoms) - set(symptoms.NAMES):
        raise ValueError(f"{path.name}: unknown symptoms {sorted(unknown)}")
    if page.audience not in AUDIENCES:
        raise ValueError(f"{path.name}: audience must be one of {AUDIENCES}")
    return page


@functools.cache
def _pages() -> dict[str, Page]:
    pages = sorted((parse(p) for p in CONTENT_DIR.glob("*.md")), key=lambda p: (p.order, p.title))
    return {page.slug: page for page in pages}


def all_pages() -> list[Page]:
    return list(_pages().values())


def get_page(slug: str) -> Page | None:
    return _pages().get(slug)


def pages_for(topics) -> list[Page]:
    """Pages for a side panel. Topics are slugs or symptom names, in the order wanted.

    A symptom name brings every page tagged with it; duplicates are dropped.
    Unknown topics raise ValueError, so a typo in a panel constant fails loudly.
    """
    if isinstance(topics, str):
        topics = (topics,)
    pages = _pages()
    found: dict[str, Page] = {}
    for topic in topics:
        if topic in pages:
            matches = [pages[topic]]
        elif topic in symptoms.NAMES:
            matches = [page for page in pages.values() if topic in page.symptoms]
        else:
            raise ValueError(f"no learn page or symptom called {topic!r}")
        for page in matches:
            found.setdefault(page.slug, page)
    return list(found.values())

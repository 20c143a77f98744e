"""Python-Markdown's `toc` extension, without the table of contents nobody reads.

The extension gives every heading its id (what links to a section point at) and also
builds a table of contents: a nested list, made into HTML, kept on the converter, and
put in place of a `[TOC]` paragraph. syndicate uses only the ids, and the rest was most
of the extension's time (a sixth of all Markdown's). Here a document that has no marker
gets only its ids, made by the extension's own functions in the extension's own order;
a document with a marker gets the whole extension.

HeadingIdProcessor replaces the extension's treeprocessor under its name, with the same
settings, and copies what TocTreeprocessor.run does to headings: it depends on that code
(and on `unique` taking the counters Markdown 3.11 added), not only on its names. Checked
against Python-Markdown 3.11.3 (CHECKED_AGAINST; constraints.txt pins it). The tests fail,
saying what to re-check, when another version is installed, when the processor is not
called, and when a corpus of documents renders differently from the whole extension.
"""

from __future__ import annotations

import html
import re
from xml.etree.ElementTree import Element

import markdown
from markdown.extensions import Extension
from markdown.extensions.footnotes import FootnotePostprocessor
from markdown.extensions.toc import (
    TocExtension,
    TocTreeprocessor,
    remove_fnrefs,
    render_inner_html,
    strip_tags,
    unique,
)
from markdown.postprocessors import AndSubstitutePostprocessor, RawHtmlPostprocessor

# The version this module was checked against.
CHECKED_AGAINST = {"markdown": "3.11.3"}


class HeadingIdProcessor(TocTreeprocessor):
    """TocTreeprocessor.run, less what only the table of contents needs."""

    def run(self, doc: Element) -> None:
        used_ids: set[str] = set()
        headings: list[Element] = []
        marked = False
        for el in doc.iter():
            if "id" in el.attrib:
                used_ids.add(el.attrib["id"])
            if isinstance(el.tag, str) and self.header_rgx.match(el.tag):
                headings.append(el)
            marked = marked or bool(self.marker and el.text and self.marker in el.text)
        if marked:
            super().run(doc)  # a marker to replace, maybe: the table is needed after all
            return
        id_counters: dict[str, int] = {}
        known = tuple(map(type, self.md.postprocessors)) == _KNOWN_POSTPROCESSORS
        for el in headings:
            self.set_level(el)
            if "id" not in el.attrib:
                name = _plain_name(el) if known else None
                if name is None:
                    name = strip_tags(render_inner_html(remove_fnrefs(el), self.md))
                slug = self.slugify(html.unescape(name), self.sep)
                # The stubs predate `unique`'s third argument, which the extension passes.
                el.attrib["id"] = unique(slug, used_ids, id_counters)  # type: ignore[call-arg]
            el.attrib.pop("data-toc-label", None)
            if self.use_anchors:
                self.add_anchor(el, el.attrib["id"])
            if self.use_permalinks not in [False, None]:
                self.add_permalink(el, el.attrib["id"])


# The postprocessors of syndicate's extensions: each changes only text holding STX (a
# placeholder for stashed HTML, "&" or a footnote's marks).
_KNOWN_POSTPROCESSORS = (RawHtmlPostprocessor, FootnotePostprocessor, AndSubstitutePostprocessor)
# What makes a heading's text more than itself in HTML: escaped characters, placeholders.
_SPECIAL = re.compile("[&<>\x02\x03]")


def _plain_name(heading: Element) -> str | None:
    """The heading's name as toc works it out (its inner HTML, the postprocessors run over
    it, tags stripped, whitespace folded), for a heading of plain text only: the text with
    its whitespace folded. None for any other heading."""
    text = heading.text
    if len(heading) or heading.attrib or not text or _SPECIAL.search(text):
        return None
    return " ".join(text.split())


class HeadingIdExtension(Extension):
    """Put after `toc` in the extensions: replaces its treeprocessor, same settings."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        toc = next(ext for ext in md.registeredExtensions if isinstance(ext, TocExtension))
        md.treeprocessors.register(HeadingIdProcessor(md, toc.getConfigs()), "toc", 5)

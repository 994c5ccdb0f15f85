"""Notify's restricted Markdown dialect, parsed into blocks.

Notify formats email bodies with mistune 0.8 after changing its grammar
(notifications-utils ``markdown.py``): ``^`` instead of ``>`` for inset
text, ``•`` allowed as a bullet, no emphasis, strong, strike-through or
inline code, hard line breaks, and ``#`` as the only real heading level.
Several of mistune 0.8's older rules also show through and matter to
authors: a list or inset must start after a blank line (it does not
interrupt a paragraph), a line underlined with ``===`` is a heading, and a
bullet needs no space after it.

This is written by hand rather than configuring a general Markdown library
because the general ones (markdown-it-py, installed here, and current
mistune) implement CommonMark, which differs from this dialect in exactly
those places, and would still need plugins for ``^`` and ``•``. A small
line-based parser that follows the dialect is shorter than that set-up and
easier to check against Notify. Not supported, because templates rarely use
them and Notify's output for them is odd: fenced code blocks, tables (Notify
drops them) and reference-style links.

The parser works on text that has already been HTML-escaped (Notify escapes
before Markdown runs), so it never sees a raw ``<``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HRULE = re.compile(r"^ {0,3}[-*_](?: *[-*_]){2,} *$")
_HEADING = re.compile(r"^ *(#{1,6}) *(.+?) *#* *$")
_UNDERLINE = re.compile(r"^ *(?:=|-)+ *$")
_INSET = re.compile(r"^ *\^")
_INSET_MARKER = re.compile(r"^ *\^ ?")
_BULLET = re.compile(r"^( *)([•*-]|\d+\.)")
_CODE = re.compile(r"^ {4}")


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Paragraph:
    text: str


@dataclass
class Rule:
    pass


@dataclass
class Code:
    text: str


@dataclass
class Inset:
    children: list[Block]


@dataclass
class ListItem:
    children: list[Block]
    loose: bool


@dataclass
class MarkdownList:
    ordered: bool
    items: list[ListItem] = field(default_factory=list)


@dataclass
class Text:
    """Inline text inside a tight list item (no paragraph round it)."""

    text: str


Block = Heading | Paragraph | Rule | Code | Inset | MarkdownList | Text


def parse(markdown: str) -> list[Block]:
    """Blocks of a document, as mistune 0.8 with Notify's grammar would read them."""
    text = markdown.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ").replace("\u00a0", " ")
    lines = ["" if not line.strip(" ") else line for line in text.split("\n")]
    return _parse_lines(lines, in_list=False)


def _is_blank(line: str) -> bool:
    return not line.strip()


def _is_setext(lines: list[str], i: int) -> bool:
    return i + 1 < len(lines) and not _is_blank(lines[i]) and bool(_UNDERLINE.match(lines[i + 1]))


def _ends_text(lines: list[str], i: int, *, in_list: bool) -> bool:
    """Whether line ``i`` starts a block that ends the text before it.

    In mistune 0.8 only a rule, a ``#`` heading or an underlined heading
    interrupt a paragraph; inside a list item, where text is read line by
    line, any block does (and ``#`` is not a heading there).
    """
    line = lines[i]
    if _HRULE.match(line) or _is_setext(lines, i):
        return True
    if in_list:
        return bool(_INSET.match(line) or _BULLET.match(line) or _CODE.match(line))
    return bool(_HEADING.match(line))


def _parse_lines(lines: list[str], *, in_list: bool) -> list[Block]:
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _is_blank(line):
            i += 1
        elif _CODE.match(line):
            end = i
            while end < len(lines) and (_CODE.match(lines[end]) or _is_blank(lines[end])):
                end += 1
            while _is_blank(lines[end - 1]):
                end -= 1
            blocks.append(Code("\n".join(code[4:] for code in lines[i:end])))
            i = end
        elif _HRULE.match(line):
            blocks.append(Rule())
            i += 1
        elif not in_list and (heading := _HEADING.match(line)):
            blocks.append(Heading(len(heading[1]), heading[2]))
            i += 1
        elif _is_setext(lines, i):
            blocks.append(Heading(1 if lines[i + 1].strip()[-1] == "=" else 2, line.strip()))
            i += 2
        elif _INSET.match(line):
            i = _parse_inset(lines, i, blocks)
        elif bullet := _BULLET.match(line):
            i = _parse_list(lines, i, len(bullet[1]), blocks)
        else:
            end = i + 1
            while end < len(lines) and not _is_blank(lines[end]) and not _ends_text(lines, end, in_list=in_list):
                end += 1
            text = "\n".join(part.strip() for part in lines[i:end])
            blocks.append(Text(text) if in_list else Paragraph(text))
            i = end
    return blocks


def _parse_inset(lines: list[str], i: int, blocks: list[Block]) -> int:
    inner: list[str] = []
    while i < len(lines) and _INSET.match(lines[i]):
        # An inset runs on to the next blank line; further blank lines and
        # another "^" line continue it.
        while i < len(lines) and not _is_blank(lines[i]):
            inner.append(_INSET_MARKER.sub("", lines[i]))
            i += 1
        blank_start = i
        while i < len(lines) and _is_blank(lines[i]):
            i += 1
        if i < len(lines) and _INSET.match(lines[i]):
            inner.extend([""] * (i - blank_start))
    blocks.append(Inset(_parse_lines(inner, in_list=False)))
    return i


def _parse_list(lines: list[str], i: int, indent: int, blocks: list[Block]) -> int:
    first = _BULLET.match(lines[i])
    assert first is not None
    markdown_list = MarkdownList(ordered=first[2][0].isdigit())
    raw_items: list[list[str]] = []
    prefix = " " * indent
    while i < len(lines):
        line = lines[i]
        if _is_blank(line):
            # Two newlines end the list unless what follows is indented or
            # another bullet at this indent followed by a space.
            j = i
            while j < len(lines) and _is_blank(lines[j]):
                j += 1
            following = lines[j] if j < len(lines) else ""
            continues = following.startswith(" ") or bool(re.match(rf"^{prefix}(?:[•*-]|\d+\.) ", following))
            if j >= len(lines) or not continues:
                break
            raw_items[-1].extend([""] * (j - i))
            i = j
            continue
        if raw_items and _HRULE.match(line):
            break
        starts_item = re.match(rf"^{prefix}(?:[•*-]|\d+\.)", line)
        if starts_item or not raw_items:
            raw_items.append([line])
        else:
            raw_items[-1].append(line)
        i += 1

    next_is_loose = False
    for number, item_lines in enumerate(raw_items):
        bullet = _BULLET.match(item_lines[0])
        assert bullet is not None
        width = len(bullet[0])
        first_line = item_lines[0][width:]
        rest = [re.sub(rf"^ {{1,{width}}}", "", line) for line in item_lines[1:]]
        loose = next_is_loose or any(
            _is_blank(line) and any(not _is_blank(after) for after in rest[k + 1 :]) for k, line in enumerate(rest)
        )
        if number != len(raw_items) - 1:
            next_is_loose = bool(rest) and _is_blank(rest[-1])
            loose = loose or next_is_loose
        children = _parse_lines([first_line, *rest], in_list=True)
        if loose:
            children = [Paragraph(child.text) if isinstance(child, Text) else child for child in children]
        markdown_list.items.append(ListItem(children, loose))
    blocks.append(markdown_list)
    return i

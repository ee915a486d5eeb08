"""Jira descriptions and comments: a draft as neutral blocks, rendered as ADF (Cloud, v3)
or wiki markup (Data Center, v2)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

from app.ticketing.base import TicketDraft

_WIKI_SPECIAL = re.compile(r"([\[\]{}|])")

# a body as blocks: ("p", runs) is a paragraph, ("li", runs) a bullet; a run is
# (text, link) with link None for plain text
Run = tuple[str, str | None]
Block = tuple[Literal["p", "li"], list[Run]]


def _paragraphs(text: str) -> list[str]:
    return [part.strip("\n") for part in re.split(r"\n\s*\n", text) if part.strip()]


def text_blocks(text: str) -> list[Block]:
    """Plain text as paragraphs (blank lines apart)."""
    return [("p", [(part, None)]) for part in _paragraphs(text)]


def draft_blocks(draft: TicketDraft) -> list[Block]:
    """The description and the incident's scope, link and alerts, as neutral blocks."""
    blocks = text_blocks(draft.description)
    for label, value in (
        ("Customer", draft.customer),
        ("Impact", draft.impact),
        ("Services", ", ".join(draft.services)),
    ):
        if value:
            blocks.append(("p", [(f"{label}: {value}", None)]))
    if draft.link:
        linkable = urlsplit(draft.link).scheme in ("https", "http")
        blocks.append(
            (
                "p",
                [
                    ("NOC Console incident: ", None),
                    (draft.key if linkable else draft.link, draft.link if linkable else None),
                ],
            )
        )
    if draft.alerts:
        blocks.append(("p", [(f"Alerts ({len(draft.alerts)}):", None)]))
        blocks.extend(("li", [(" ".join(alert.split()), None)]) for alert in draft.alerts)
    return blocks


def adf(blocks: Sequence[Block]) -> dict[str, Any]:
    """Atlassian Document Format: paragraphs (lines split by hard breaks), bullet lists, links."""
    content: list[dict[str, Any]] = []
    for kind, runs in blocks:
        nodes: list[dict[str, Any]] = []
        for text, link in runs:
            for number, line in enumerate(text.split("\n")):
                if number:
                    nodes.append({"type": "hardBreak"})
                if line:  # ADF refuses empty text nodes
                    node: dict[str, Any] = {"type": "text", "text": line}
                    if link:
                        node["marks"] = [{"type": "link", "attrs": {"href": link}}]
                    nodes.append(node)
        paragraph = {"type": "paragraph", "content": nodes}
        if kind == "p":
            content.append(paragraph)
            continue
        if not content or content[-1]["type"] != "bulletList":
            content.append({"type": "bulletList", "content": []})
        content[-1]["content"].append({"type": "listItem", "content": [paragraph]})
    return {"type": "doc", "version": 1, "content": content}


def wiki(blocks: Sequence[Block]) -> str:
    """Jira wiki markup: paragraphs apart, `* ` bullets, `[text|url]` links, specials escaped."""
    lines: list[str] = []
    previous = ""
    for kind, runs in blocks:
        text = "".join(f"[{_text(run)}|{_url(link)}]" if link else _text(run) for run, link in runs)
        if lines and not (kind == previous == "li"):
            lines.append("")
        lines.append(f"* {text}" if kind == "li" else text)
        previous = kind
    return "\n".join(lines)


def _text(text: str) -> str:
    return _WIKI_SPECIAL.sub(r"\\\1", text)


def _url(url: str) -> str:
    return url.replace("|", "%7C").replace("[", "%5B").replace("]", "%5D")

"""Reading rendered pages in tests: table cells, field errors, input values, messages, choices, dialogs."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any


class _Table(HTMLParser):
    """Texts of the cells of each body row of the first table (or of ``table_class``); a row's
    selection box (``select-cell``: the index's checkboxes for editors) is no cell of it."""

    def __init__(self, table_class: str | None) -> None:
        super().__init__()
        self.table_class = table_class
        self.depth = 0  # inside the wanted table
        self.done = False
        self.in_body = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if (
            tag == "table"
            and not self.done
            and (self.depth or not self.table_class or self.table_class in classes)
        ):
            self.depth += 1
        elif self.depth and tag == "tbody":
            self.in_body = True
        elif self.depth and self.in_body and tag == "tr":
            self.rows.append([])
        elif self.depth and self.in_body and tag in ("td", "th") and "select-cell" not in classes:
            self.cell = []
        elif self.cell is not None and tag == "br":
            self.cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif self.depth and tag == "tbody":
            self.in_body = False
        elif self.depth and tag == "table":
            self.depth -= 1
            self.done = self.depth == 0

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str | bytes, table_class: str | None = None) -> list[list[str]]:
    parser = _Table(table_class)
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return parser.rows


def text(html: str | bytes) -> str:
    """The page's visible text with whitespace collapsed (tags removed)."""
    raw = html.decode() if isinstance(html, bytes) else html
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", raw).split())


def field_errors(response: Any, field_id: str) -> list[str]:
    """The error messages rendered beside the field with this id (``id_email``)."""
    html = response.content.decode()
    match = re.search(rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", match[1]) if match else []


def form_errors(response: Any) -> list[str]:
    """Messages in the error box above a form (not tied to one field)."""
    html = response.content.decode()
    boxes = re.findall(r'<div class="form-errors" role="alert">(.*?)</div>', html, re.S)
    return [text(item) for box in boxes for item in re.findall(r"<(?:li|p)>(.*?)</(?:li|p)>", box, re.S)]


def _select(html: str, name: str) -> str | None:
    """The options markup of the select ``name``."""
    select = re.search(rf'<select[^>]*\bname="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    return select[1] if select else None


def value_of(response: Any, name: str) -> str | None:
    """The value an input shows (or the selected option of a select) for the field ``name``."""
    html = response.content.decode()
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    if tag:
        value = re.search(r'\bvalue="([^"]*)"', tag[0])
        return value[1] if value else ""
    select = _select(html, name)
    if select is not None:
        chosen = re.search(r'<option value="([^"]*)"[^>]*\bselected\b', select)
        return chosen[1] if chosen else None
    return None


def messages(response: Any) -> list[str]:
    """The flash messages shown at the top of the page."""
    html = response.content.decode()
    return [text(m) for m in re.findall(r'<li class="message message-\w+" role="\w+">(.*?)</li>', html, re.S)]


def list_items(html: str | bytes, list_class: str) -> list[str]:
    """The visible text (entities decoded) of each item of the first ``<ul>`` of ``list_class`` (items
    hold no lists)."""
    raw = html.decode() if isinstance(html, bytes) else html
    found = re.search(rf'<ul class="(?:[^"]* )?{re.escape(list_class)}(?: [^"]*)?">(.*?)</ul>', raw, re.S)
    items = re.findall(r"<li\b[^>]*>(.*?)</li>", found[1], re.S) if found else []
    return [unescape(text(item)) for item in items]


def subscription_rows(html: str | bytes) -> list[str]:
    """The rows of a record's Subscriptions card as text, without their previews' "Loading…" and their
    "Preview" links (the side panel's)."""
    raw = html.decode() if isinstance(html, bytes) else html
    raw = re.sub(r'<div class="sub-preview".*?</div>', "", raw, flags=re.S)
    return list_items(re.sub(r'<a class="[^"]*sub-panel-link.*?</a>', "", raw, flags=re.S), "sub-list")


def options(response: Any, name: str) -> list[str]:
    """The option values of the select ``name`` (blank left out)."""
    select = _select(response.content.decode(), name)
    assert select is not None, name
    return [value for value in re.findall(r'<option value="([^"]*)"', select) if value]


def radios(response: Any, name: str) -> list[tuple[str, bool]]:
    """The radio buttons ``name`` in order: (value, checked)."""
    tags = re.findall(rf'<input[^>]*\bname="{name}"[^>]*>', response.content.decode())
    return [
        (re.search(r'\bvalue="([^"]*)"', tag)[1], bool(re.search(r"\bchecked\b", tag)))  # type: ignore[index]
        for tag in tags
        if 'type="radio"' in tag
    ]


def checked(response: Any, name: str) -> str | None:
    """The value of the checked radio button ``name``."""
    return next((value for value, on in radios(response, name) if on), None)


def picked_labels(response: Any, name: str) -> list[str]:
    """The labels of a picker's radio buttons, in order."""
    html = response.content.decode()
    return [
        unescape(text(label)) for label in re.findall(rf'<label for="pick-{name}-[^"]*">(.*?)</label>', html)
    ]


def _open_dialog(response: Any) -> str | None:
    """The markup of the open confirmation dialog."""
    match = re.search(r"<dialog open.*?</dialog>", response.content.decode(), re.S)
    return match[0] if match else None


def dialog(response: Any) -> str:
    """The confirmation dialog's text ("" when there is none)."""
    found = _open_dialog(response)
    return text(found) if found is not None else ""


def carried(response: Any) -> dict[str, list[str]]:
    """What the dialog's "Create subscription" posts: its hidden inputs (without the CSRF token)."""
    form = _open_dialog(response)
    assert form is not None, "no confirmation dialog"
    values: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form):
        if name != "csrfmiddlewaretoken":
            values.setdefault(name, []).append(value)
    return values


def timeline(html: str | bytes) -> list[dict[str, Any]]:
    """A record's timeline, newest first: each entry's title (as read: a link's text in place), its
    when-and-who line and its changes ("Field: before → after", line items "Added: …")."""
    raw = html.decode() if isinstance(html, bytes) else html
    found = re.search(r'<ol class="timeline">(.*?)</ol>\s*</section>', raw, re.S)
    entries = []
    for item in re.split(r'<li>\s*<div class="timeline-head">', found[1] if found else "")[1:]:
        title = re.search(r'<strong class="timeline-title">(.*?)</strong>', item, re.S)
        meta = re.search(r'<span class="muted small">(.*?)</span>\s*</div>', item, re.S)
        changes = re.findall(r"<li(?: class=\"line-\w+\")?>((?:(?!<li|<ul).)*?)(?:</li>|<ul)", item, re.S)
        entries.append(
            {
                "title": unescape(re.sub(r"<[^>]+>", "", title[1]) if title else ""),
                "meta": unescape(text(meta[1]) if meta else ""),
                "changes": [unescape(text(change)) for change in changes],
            }
        )
    return entries

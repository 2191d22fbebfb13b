"""Generic list tables: sortable columns, pagination and CSV export, declared per view.

A view declares its columns once; the table sorts by a whitelisted column, pages the
rows, and exports the whole filtered list (not just the page) as CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext, pgettext


@dataclass
class Column:
    key: str
    label: Any
    value: Callable[[Any], Any]
    sort: str | None = None
    link: Callable[[Any], str] | None = None
    css: str = ""
    # A breakpoint ("sm", "md", "lg") below which the column is left out on screen (a
    # phone shows the columns that matter without scrolling); exports keep it.
    hide_below: str = ""

    @property
    def display_css(self) -> str:
        return f"d-none d-{self.hide_below}-table-cell" if self.hide_below else ""


@dataclass
class Cell:
    value: Any
    link: str | None
    css: str


@dataclass
class Row:
    obj: Any
    cells: list[Cell] = field(default_factory=list)


def safe_cell(value: str) -> str:
    """Stop spreadsheet programs from reading a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def plain(value: Any) -> Any:
    """A cell as a spreadsheet value: numbers and dates stay, the rest is (safe) text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return force_str(value)
    if isinstance(value, int | float | dt.date):
        return value
    return safe_cell(force_str(value))


# Column widths are measured on the header and the first rows (the rest stream by).
_WIDTH_SAMPLE = 200
_WIDTH_MIN, _WIDTH_MAX = 8, 50


def _display_width(value: Any) -> int:
    """Characters a cell needs: a Chinese character takes two."""
    text = "" if value is None else str(value)
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in longest)


def xlsx_bytes(sheets: Sequence[tuple[Any, Sequence[Any], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook with one sheet per (title, header, rows), written in streaming mode: the
    header bold and frozen, columns as wide as the header and the first rows need."""
    from itertools import islice

    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from xuncha.core.lib.officefiles import new_workbook

    workbook = new_workbook()
    bold = Font(bold=True)
    for sheet_title, header, rows in sheets:
        sheet = workbook.create_sheet(title=force_str(sheet_title)[:31])
        titles = [force_str(h) for h in header]
        stream = iter(rows)
        first = [[plain(v) for v in row] for row in islice(stream, _WIDTH_SAMPLE)]
        for n, title in enumerate(titles):
            need = max(
                [_display_width(title), *(_display_width(r[n]) for r in first if n < len(r))]
            )
            width = min(_WIDTH_MAX, max(_WIDTH_MIN, need + 2))
            sheet.column_dimensions[get_column_letter(n + 1)].width = width
        sheet.freeze_panes = "A2"
        cells = []
        for title in titles:
            cell = WriteOnlyCell(sheet, value=title)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        for values in first:
            sheet.append(values)
        for row in stream:
            sheet.append([plain(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


class Table:
    def __init__(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        columns: list[Column],
        default_sort: str,
        per_page: int | None = None,
        exportable: bool = True,
        rank: Any = None,
    ) -> None:
        """``rank``: an expression ordered by first while the user has not chosen a sort
        (a search's best matches on top); a chosen sort is followed as it is."""
        self.request = request
        self.columns = columns
        # Whether the page offers the CSV export (the view still checks the permission).
        self.exportable = exportable
        sortable = {c.key: c.sort for c in columns if c.sort}
        requested = request.GET.get("sort", default_sort)
        descending = requested.startswith("-")
        key = requested.lstrip("-")
        if key not in sortable:
            descending = default_sort.startswith("-")
            key = default_sort.lstrip("-")
        self.sort_key, self.descending = key, descending
        order = sortable[key] or key
        chosen = request.GET.get("sort", "").lstrip("-") in sortable
        first = [rank] if rank is not None and not chosen else []
        self.queryset = queryset.order_by(*first, f"-{order}" if descending else order, "pk")
        self.per_page = per_page or settings.PAGE_SIZE

    def page(self) -> Page[Any]:
        paginator = Paginator(self.queryset, self.per_page)
        return paginator.get_page(self.request.GET.get("page"))

    def rows(self, objects: Iterable[Any]) -> list[Row]:
        return [
            Row(
                obj,
                [
                    Cell(
                        c.value(obj),
                        c.link(obj) if c.link else None,
                        f"{c.css} {c.display_css}".strip(),
                    )
                    for c in self.columns
                ],
            )
            for obj in objects
        ]

    def headers(self) -> list[dict[str, Any]]:
        params = self.request.GET.copy()
        params.pop("page", None)
        result = []
        for column in self.columns:
            entry: dict[str, Any] = {
                "label": column.label,
                "url": None,
                "state": "",
                "css": column.display_css,
            }
            if column.sort:
                next_desc = column.key == self.sort_key and not self.descending
                params["sort"] = f"-{column.key}" if next_desc else column.key
                entry["url"] = "?" + params.urlencode()
                if column.key == self.sort_key:
                    entry["state"] = "desc" if self.descending else "asc"
            result.append(entry)
        return result

    def export_url(self, fmt: str = "csv") -> str:
        params = self.request.GET.copy()
        params.pop("page", None)
        params["export"] = fmt
        return "?" + params.urlencode()

    def context(self) -> dict[str, Any]:
        page = self.page()
        params = self.request.GET.copy()
        params.pop("page", None)
        return {
            "table": self,
            "page_obj": page,
            "rows": self.rows(page.object_list),
            "headers": self.headers(),
            "page_query": urlencode([(k, v) for k, vs in params.lists() for v in vs]),
        }

    def _csv_lines(self) -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield "\ufeff"  # BOM, so that spreadsheet programs read UTF-8 Chinese correctly
        yield writer.writerow([force_str(c.label) for c in self.columns])
        for obj in self.queryset.iterator(chunk_size=1000):
            yield writer.writerow([safe_cell(force_str(c.value(obj))) for c in self.columns])

    def sort_label(self) -> str:
        """The column the list is sorted by, and the direction, for an export's record."""
        column = force_str(next(c.label for c in self.columns if c.key == self.sort_key))
        if self.descending:
            return gettext("%(column)s (descending)") % {"column": column}
        return gettext("%(column)s (ascending)") % {"column": column}

    def xlsx(self, sheet_title: Any, criteria: Sequence[tuple[Any, Any]] = ()) -> bytes:
        rows = ([c.value(obj) for c in self.columns] for obj in self.queryset.iterator(500))
        sheets: list[tuple[Any, Sequence[Any], Iterable[Sequence[Any]]]] = [
            (sheet_title, [c.label for c in self.columns], rows)
        ]
        if criteria:
            header = [gettext("Criterion"), pgettext("an export's criterion", "Value")]
            sheets.append((gettext("Filters"), header, [[k, v] for k, v in criteria]))
        return xlsx_bytes(sheets)

    def export_xlsx(
        self, filename: str, sheet_title: Any, criteria: Sequence[tuple[Any, Any]] = ()
    ) -> HttpResponse:
        """The whole sorted list as a workbook; ``criteria`` (label, value) rows, when
        given, go on a second sheet that says what the list is (filters, sort, when)."""
        return download(self.xlsx(sheet_title, criteria), XLSX_CONTENT_TYPE, f"{filename}.xlsx")

    def export_csv(self, filename: str) -> StreamingHttpResponse:
        response = StreamingHttpResponse(self._csv_lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response

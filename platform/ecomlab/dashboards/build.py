"""Build a board's page from the mart: check the filters, read the rows, make the panels."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from ecomlab.dashboards.boards import BOARDS
from ecomlab.dashboards.boards.common import BoardContext
from ecomlab.dashboards.catalog import Label
from ecomlab.dashboards.data import BoardData, datasets, present_tables
from ecomlab.dashboards.filters import Filters, check_against
from ecomlab.dashboards.render import BoardPage
from ecomlab.mart import Mart


def build_page(
    mart: Mart,
    board: ModuleType,
    filters: Filters,
    labels: Sequence[Label],
    known_datasets: Sequence[str] | None = None,
    tables: set[str] | None = None,
) -> BoardPage:
    """The page of `board` for filters.dataset; a filter the mart cannot satisfy raises FilterError."""
    known = list(datasets(mart) if known_datasets is None else known_datasets)
    data = BoardData(mart, filters.dataset, filters, present_tables(mart) if tables is None else tables)
    values = data.dimension_values()
    check_against(filters, known, values)
    panels = board.build(BoardContext(data, list(labels)))
    return BoardPage(board, filters.dataset, known, filters, panels, values)


def all_boards() -> tuple[ModuleType, ...]:
    return BOARDS

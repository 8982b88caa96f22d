"""Word exports (GB/T 9704-2012 layout): bulletin issues and ranking reports; plain data in, .docx out."""

from exports.bulletin import (
    BulletinData,
    BulletinItem,
    Distribution,
    build_bulletin,
    is_data_table,
    item_blocks,
)
from exports.errors import (
    EmptyIssueError,
    ExportError,
    InvalidIssueError,
    InvalidReportError,
    RefusedLevelError,
)
from exports.ranking import RankingReport, RankingRow, RankingSection, build_ranking_report

__all__ = [
    "BulletinData",
    "BulletinItem",
    "Distribution",
    "EmptyIssueError",
    "ExportError",
    "InvalidIssueError",
    "InvalidReportError",
    "RankingReport",
    "RankingRow",
    "RankingSection",
    "RefusedLevelError",
    "build_bulletin",
    "build_ranking_report",
    "is_data_table",
    "item_blocks",
]

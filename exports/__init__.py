"""Word exports (GB/T 9704-2012 layout): bulletin issues; plain data in, .docx bytes out."""

from exports.bulletin import BulletinData, BulletinItem, Distribution, build_bulletin
from exports.errors import EmptyIssueError, ExportError, InvalidIssueError, RefusedLevelError

__all__ = [
    "BulletinData",
    "BulletinItem",
    "Distribution",
    "EmptyIssueError",
    "ExportError",
    "InvalidIssueError",
    "RefusedLevelError",
    "build_bulletin",
]

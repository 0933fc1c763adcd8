"""Index management: entity indices behind aliases, plans, reconciliation, templates."""

from esorm.indices._diff import FieldConflict, MappingDiff, diff_mappings
from esorm.indices._errors import IndexDriftError
from esorm.indices._layout import Layout, LayoutKind, concrete_name, layout_of, version_of
from esorm.indices._manager import IndexManager
from esorm.indices._plan import IndexPlan, PlanStatus, SettingChange
from esorm.indices._report import IndexReport, IndexStatus
from esorm.indices._templates import IndexTemplate

__all__ = [
    "FieldConflict",
    "IndexDriftError",
    "IndexManager",
    "IndexPlan",
    "IndexReport",
    "IndexStatus",
    "IndexTemplate",
    "Layout",
    "LayoutKind",
    "MappingDiff",
    "PlanStatus",
    "SettingChange",
    "concrete_name",
    "diff_mappings",
    "layout_of",
    "version_of",
]

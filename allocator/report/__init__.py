"""The plan as one self-contained HTML page that works offline."""

from allocator.report.charts import CHART_IDS
from allocator.report.html import build_report, check_pairing, write_report

__all__ = ["CHART_IDS", "build_report", "check_pairing", "write_report"]

"""Reports for admins and leaders: periods, participation and pass rates, study records, and their files.

- periods.py        what period a report covers, read from what people type, said back in words
- shapes.py         the report's shapes (unit stats, member rows, trend points)
- participation.py  build_report: rates per unit and period, the not-yet list
- records.py        study_record: one person's record for the annual assessment
- xlsx.py, csvfile.py, chart.py   the report as an Excel workbook, a CSV file, a PNG/SVG chart
"""

from knowledge.reports.participation import build_report
from knowledge.reports.periods import Period, PeriodError, parse_period, quarter_of, week_of, year_of
from knowledge.reports.records import QuarterTotal, RoundRecord, StudyRecord, study_record, unit_records
from knowledge.reports.shapes import MemberRow, Report, TrendPoint, UnitStats, percent_text, rate

__all__ = [
    "MemberRow", "Period", "PeriodError", "QuarterTotal", "Report", "RoundRecord", "StudyRecord", "TrendPoint",
    "UnitStats", "build_report", "parse_period", "percent_text", "quarter_of", "rate", "study_record", "unit_records", "week_of",
    "year_of",
]

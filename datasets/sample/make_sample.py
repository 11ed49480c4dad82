"""Render the bundled sample corpus: four short report PDFs and their gold annotations.

The documents are invented: a river water-quality report, a pump reliability review, a school
cohort survey and a municipal budget outturn report. Their tables carry *abstract headers*
(letter codes, acronyms, shortened names, symbols) explained in four ways (a definition in the
body text, a legend or footnote under the table, only implied by the surrounding text, or not at
all), next to clear tables with ordinary headers and one table-like figure.

Everything is described once, in the data section below. The PDFs are laid out from that data
with PyMuPDF's Story API (HTML + CSS), and ``gold.json`` is written from the same objects, so the
text and the gold cannot disagree. After rendering, the script re-reads every PDF and asserts that
each evidence string, fact sentence, caption, header and cell appears verbatim in the extracted
text (``page.get_text()``, whitespace collapsed).

The output is deterministic: fixed metadata, a fixed trailer ``/ID`` and no timestamps, so two
runs with the same PyMuPDF version give byte-identical PDFs.

Usage::

    python datasets/sample/make_sample.py            # render PDFs, write gold.json, verify
    python datasets/sample/make_sample.py --report   # also print find_tables() and font sizes
"""

from __future__ import annotations

import argparse
import hashlib
import html
import io
import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

HERE = Path(__file__).resolve().parent
PDF_DIR = HERE / "pdfs"
GOLD_PATH = HERE / "gold.json"

STYLES = ("natural", "letter_codes", "acronym", "shortened", "symbol")
EXPLAINED_BY = ("clear", "definition", "legend", "footnote", "implied", "none")


# ================================================================================ data model


@dataclass(frozen=True)
class Fact:
    """A body-text sentence that answers a question (a text-only QA item).

    Attributes:
        sentence: The sentence exactly as it is rendered.
        question: A question answered by the sentence.
        answer: The answer, a substring of ``sentence``.
    """

    sentence: str
    question: str
    answer: str


@dataclass(frozen=True)
class Heading:
    """A section heading; level 1 renders as ``<h1>``, level 2 as ``<h2>``."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    """A body paragraph: its sentences (plain strings or facts) joined by single spaces."""

    parts: tuple[str | Fact, ...]

    @property
    def text(self) -> str:
        return " ".join(p.sentence if isinstance(p, Fact) else p for p in self.parts)


def para(*parts: str | Fact) -> Paragraph:
    """Builds a paragraph from sentences and facts."""
    return Paragraph(parts)


@dataclass(frozen=True)
class Header:
    """One rendered header cell and what it means.

    Attributes:
        text: The cell text without its footnote marker.
        meaning: What the header stands for.
        style: One of ``STYLES``; ``natural`` for ordinary words.
        explained_by: One of ``EXPLAINED_BY``; ``clear`` for natural headers.
        evidence: The sentence, legend line or footnote line that explains the header, exactly
            as rendered; ``None`` for ``clear`` and ``none``.
        sup: A footnote marker rendered as superscript after the text (e.g. ``*``).
        colspan: Number of columns the cell spans.
        rowspan: Number of header rows the cell spans.
    """

    text: str
    meaning: str
    style: str = "natural"
    explained_by: str = "clear"
    evidence: str | None = None
    sup: str = ""
    colspan: int = 1
    rowspan: int = 1

    @property
    def label(self) -> str:
        """The header as it reads in the PDF, marker included."""
        return self.text + self.sup


def clear(text: str, meaning: str, **kw) -> Header:
    """A header made of ordinary words."""
    return Header(text, meaning, **kw)


@dataclass(frozen=True)
class Table:
    """A table with its caption (above) and notes (legend or footnote lines, below).

    Attributes:
        caption: Caption text, starting with ``Table N:``.
        header_rows: Header cells per header row, as in HTML (spanned positions omitted).
        rows: Body rows; the first cell is the row key.
        notes: Legend and footnote lines rendered directly under the table.
        rules: ``grid`` (every cell bordered) or ``booktabs`` (horizontal rules only).
    """

    caption: str
    header_rows: tuple[tuple[Header, ...], ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()
    rules: str = "grid"

    @property
    def n_cols(self) -> int:
        return sum(h.colspan for h in self.header_rows[0])

    def header_grid(self) -> list[list[tuple[Header, int]]]:
        """The header cells placed on the column grid: ``(header, first column)`` per slot.

        Cells spanning several columns or rows fill every slot they cover.
        """
        n_rows = len(self.header_rows)
        grid: list[list[tuple[Header, int] | None]] = [[None] * self.n_cols for _ in range(n_rows)]
        for r, cells in enumerate(self.header_rows):
            col = 0
            for h in cells:
                while grid[r][col] is not None:
                    col += 1
                for dr in range(h.rowspan):
                    for dc in range(h.colspan):
                        assert grid[r + dr][col + dc] is None, f"{self.caption}: spans overlap"
                        grid[r + dr][col + dc] = (h, col)
                col += h.colspan
        assert all(slot is not None for row in grid for slot in row), f"{self.caption}: holes"
        return grid  # type: ignore[return-value]


@dataclass(frozen=True)
class Figure:
    """A workflow diagram drawn with vector graphics after layout: bordered boxes in a grid.

    Attributes:
        caption: Caption text (below the figure), starting with ``Figure N:``.
        steps: Box labels in workflow order, laid out row by row.
        per_row: Number of boxes per row.
        height: Height in points reserved for the drawing.
    """

    caption: str
    steps: tuple[str, ...]
    per_row: int = 3
    height: float = 120


Block = Heading | Paragraph | Table | Figure


@dataclass(frozen=True)
class Doc:
    """One report: its file name, front matter, running header and pages of blocks."""

    file: str
    title: str
    subtitle: str
    author: str
    running_header: str
    date: str  # PDF date string, used for creation and modification date
    pages: tuple[tuple[Block, ...], ...] = field(default_factory=tuple)


# ================================================================================= the data
# All organisations, places, people and numbers below are invented.


def river_quality() -> Doc:
    """A two-page river monitoring report: flow table, quality table with legend, booktabs table."""
    avg_disch = (
        "For the five gauged stations, Table 1 lists the average discharge at each station "
        "over the sampling period, computed from the 15-minute gauge record."
    )
    delta_t = (
        "Table 2 also reports ΔT, where ΔT is the change in mean water temperature relative "
        "to the 2018 to 2022 baseline at the same station, in °C."
    )
    do_legend = "DO = dissolved oxygen (mg/L)"
    bod_legend = "BOD = five-day biochemical oxygen demand (mg/L)"
    temp_legend = "Temp. = mean water temperature (°C)"
    station = clear("Station", "monitoring station")

    page1 = (
        Heading(1, "1 Introduction"),
        para(
            "This report summarises the routine water-quality monitoring of the Harrow River "
            "and its two main tributaries, the Millbrook and the Sedge.",
            Fact(
                "The 2023 campaign sampled 14 stations over 11 months.",
                "How many stations did the 2023 campaign sample?",
                "14",
            ),
            "Each station was visited once a month between February and December.",
            Fact(
                "Two sample sets were discarded after a cooler failure in July, leaving 152 "
                "valid sample sets.",
                "How many valid sample sets did the 2023 campaign produce?",
                "152",
            ),
        ),
        Heading(1, "2 Sampling and analysis"),
        para(
            "Grab samples were taken from mid-channel at a depth of 0.3 m and kept below 4 °C "
            "until analysis.",
            Fact(
                "All samples reached the Trust's laboratory in Kelby within 24 hours of "
                "collection.",
                "Within how many hours of collection did the samples reach the laboratory?",
                "24 hours",
            ),
            "Figure 1 shows the sampling workflow.",
        ),
        Figure(
            "Figure 1: Sampling workflow from field collection to reporting",
            ("Collect", "Preserve", "Transport", "Filter", "Analyse", "Report"),
        ),
        Heading(1, "3 Flow conditions"),
        para(
            "Five of the 14 stations share a site with a continuous flow gauge run by the "
            "regional water authority.",
            avg_disch,
            Fact(
                "A dry spell in August reduced the flow at Upper Harrow to its lowest level "
                "since 2018.",
                "In which month did a dry spell reduce the flow at Upper Harrow?",
                "August",
            ),
        ),
        Table(
            "Table 1: Gauged stations, catchment area and flow statistics, 2023 (flows in m³/s)",
            (
                (
                    station,
                    clear("Area (km²)", "catchment area upstream of the station, in km²"),
                    Header(
                        "Avg. disch.",
                        "average discharge over the sampling period (m³/s)",
                        "shortened",
                        "implied",
                        avg_disch,
                    ),
                    Header("Q95", "flow exceeded 95% of the time (m³/s)", "symbol", "none"),
                ),
            ),
            (
                ("Upper Harrow", "86.4", "1.37", "0.21"),
                ("Millbrook Mouth", "142.9", "2.05", "0.34"),
                ("Sedge Bridge", "311.0", "4.62", "0.88"),
                ("Kelby Weir", "704.5", "9.81", "1.95"),
                ("Lower Harrow", "1,246.2", "16.40", "3.12"),
            ),
        ),
    )
    page2 = (
        Heading(1, "4 Water-quality results"),
        Heading(2, "4.1 Oxygen, organic load and temperature"),
        para(
            "Oxygen conditions were good at all stations except Kelby Outfall, downstream of the "
            "Kelby wastewater treatment works.",
            delta_t,
            Fact(
                "The warmest single reading, 21.4 °C, was recorded at Lower Harrow on 9 August.",
                "What was the warmest single water temperature reading in 2023?",
                "21.4 °C",
            ),
        ),
        Table(
            "Table 2: Annual mean water quality by station, 2023",
            (
                (
                    station,
                    Header("DO", "dissolved oxygen (mg/L)", "acronym", "legend", do_legend),
                    Header(
                        "BOD",
                        "five-day biochemical oxygen demand (mg/L)",
                        "acronym",
                        "legend",
                        bod_legend,
                    ),
                    Header(
                        "Temp.", "mean water temperature (°C)", "shortened", "legend", temp_legend
                    ),
                    Header(
                        "ΔT",
                        "change in mean water temperature relative to the 2018 to "
                        "2022 baseline (°C)",
                        "symbol",
                        "definition",
                        delta_t,
                    ),
                ),
            ),
            (
                ("Upper Harrow", "10.4", "1.2", "10.8", "−0.3"),
                ("Millbrook Mouth", "9.7", "1.9", "11.6", "−0.1"),
                ("Sedge Bridge", "9.1", "2.3", "12.1", "0.9"),
                ("Kelby Weir", "8.8", "2.6", "12.4", "0.7"),
                ("Kelby Outfall", "6.2", "4.8", "13.9", "1.3"),
                ("Lower Harrow", "8.3", "3.1", "13.2", "1.1"),
            ),
            notes=(do_legend, bod_legend, temp_legend),
        ),
        Heading(2, "4.2 Nutrients"),
        para(
            "Nutrients were measured on unfiltered samples at five stations.",
            Fact(
                "Phosphorus at Kelby Outfall was above the 0.10 mg/L target in 9 of 11 months.",
                "In how many months was phosphorus at Kelby Outfall above the 0.10 mg/L target?",
                "9",
            ),
        ),
        Table(
            "Table 3: Nutrient concentrations at selected stations, 2023 (mg/L)",
            (
                (
                    station,
                    clear("Samples", "number of valid samples"),
                    clear("Total nitrogen", "mean total nitrogen concentration (mg/L)"),
                    clear("Total phosphorus", "mean total phosphorus concentration (mg/L)"),
                ),
            ),
            (
                ("Upper Harrow", "11", "1.84", "0.041"),
                ("Sedge Bridge", "10", "3.27", "0.086"),
                ("Kelby Weir", "10", "3.95", "0.102"),
                ("Kelby Outfall", "11", "6.12", "0.187"),
                ("Lower Harrow", "11", "4.48", "0.121"),
            ),
            rules="booktabs",
        ),
    )
    return Doc(
        file="river_quality.pdf",
        title="Harrow River Water-Quality Monitoring Report 2023",
        subtitle="Harrow Catchment Trust · Technical Report HCT-24-03 · March 2024",
        author="Harrow Catchment Trust",
        running_header="Harrow Catchment Trust | Water-Quality Monitoring 2023",
        date="D:20240315090000Z",
        pages=(page1, page2),
    )


def pump_reliability() -> Doc:
    """A one-page reliability review: acronyms (definition, footnote) and plant letter codes."""
    plants = (
        "The letter codes A, B and C denote the three plants: "
        "A = Northfield, B = Eastgate, C = Southmoor."
    )
    mtbf = (
        "Mean time between failures (MTBF) is the average operating time between two "
        "consecutive failures of the same pump, in hours."
    )
    failures = (
        "Every unplanned stop that required a maintenance work order was counted as a failure."
    )
    mttr_note = "* MTTR: mean time to repair, in hours, including waiting time for spare parts."

    def plant(code: str, name: str) -> Header:
        return Header(code, f"{name} plant", "letter_codes", "definition", plants)

    page = (
        Heading(1, "1 Scope"),
        para(
            Fact(
                "The review covers 48 booster pumps installed at three treatment plants.",
                "How many booster pumps does the review cover?",
                "48",
            ),
            plants,
            Fact(
                "Operating data were taken from the maintenance management system for the "
                "period 1 April 2023 to 31 March 2024.",
                "Which period do the operating data cover?",
                "1 April 2023 to 31 March 2024",
            ),
        ),
        Heading(1, "2 Reliability by pump model"),
        para(mtbf, failures, "Availability includes planned maintenance stops."),
        Table(
            "Table 1: Failure statistics by pump model, FY2023",
            (
                (
                    clear("Pump model", "pump model"),
                    clear("Units", "number of pumps of this model in the fleet"),
                    Header(
                        "MTBF", "mean time between failures (hours)", "acronym", "definition", mtbf
                    ),
                    Header(
                        "MTTR",
                        "mean time to repair, including waiting time for spare parts (hours)",
                        "acronym",
                        "footnote",
                        mttr_note,
                        sup="*",
                    ),
                    Header(
                        "Fail.",
                        "number of failures (unplanned stops with a work order)",
                        "shortened",
                        "implied",
                        failures,
                    ),
                    Header(
                        "Avail.",
                        "availability (percent of the year in service)",
                        "shortened",
                        "none",
                    ),
                ),
            ),
            (
                ("Kestrel K-200", "14", "2,310", "9.1", "52", "98.1"),
                ("Heron HX-40", "11", "4,870", "6.2", "19", "99.0"),
                ("Vantor V3", "9", "3,540", "7.4", "22", "98.6"),
                ("Aqualis B-90", "8", "6,120", "5.6", "11", "99.3"),
                ("Marlow M-15", "6", "1,980", "11.5", "26", "97.6"),
            ),
            notes=(mttr_note,),
        ),
        Heading(1, "3 Downtime by failure mode"),
        para(
            Fact(
                "Seal leaks were the most common failure mode and caused 41 percent of all "
                "unplanned downtime.",
                "What share of unplanned downtime did seal leaks cause?",
                "41 percent",
            ),
            Fact(
                "The review recommends replacing the mechanical seals on all Kestrel K-200 "
                "units during the 2024 maintenance window.",
                "Which pump model should get new mechanical seals in 2024?",
                "Kestrel K-200",
            ),
        ),
        Table(
            "Table 2: Unplanned downtime by failure mode and plant (hours)",
            (
                (
                    clear("Failure mode", "failure mode"),
                    plant("A", "Northfield"),
                    plant("B", "Eastgate"),
                    plant("C", "Southmoor"),
                    clear("Total", "downtime at all three plants (hours)"),
                ),
            ),
            (
                ("Seal leak", "212.5", "148.0", "96.5", "457.0"),
                ("Bearing wear", "64.0", "88.5", "41.0", "193.5"),
                ("Motor overheating", "35.5", "22.0", "57.5", "115.0"),
                ("Impeller damage", "48.0", "19.5", "30.0", "97.5"),
                ("Cavitation", "21.0", "45.5", "12.0", "78.5"),
                ("Control fault", "70.0", "53.5", "50.0", "173.5"),
                ("All modes", "451.0", "377.0", "287.0", "1,115.0"),
            ),
        ),
    )
    return Doc(
        file="pump_reliability.pdf",
        title="Booster Pump Fleet Reliability Review, Financial Year 2023",
        subtitle="Eastmere Water Services · Asset Management Division · Report AM-2024-07",
        author="Eastmere Water Services",
        running_header="Eastmere Water Services | Pump Fleet Reliability FY2023",
        date="D:20240502140000Z",
        pages=(page,),
    )


def cohort_survey() -> Doc:
    """A one-page survey report: implied cohort codes, a legend, a footnote, an unexplained σ."""
    cohorts = (
        "The survey follows three cohorts of students: the first entered secondary school in "
        "2019, the second in 2020, and the third cohort, which entered in 2021, joined the "
        "panel in 2022."
    )
    resp_legend = "Resp. = number of students who returned the questionnaire"
    change_note = (
        "¹ Change in the school's all-cohort mean score since the 2023 survey, in percent."
    )

    def cohort(n: int, ordinal: str, year: int) -> Header:
        return Header(
            f"C{n}",
            f"mean score of the {ordinal} cohort (entered in {year})",
            "letter_codes",
            "implied",
            cohorts,
        )

    page = (
        Heading(1, "1 Background"),
        para(
            "The Westvale Schools Trust runs an annual wellbeing survey in its six secondary "
            "schools.",
            cohorts,
            Fact(
                "A total of 1,284 students returned the questionnaire in March 2024, a response "
                "rate of 71 percent.",
                "How many students returned the questionnaire in March 2024?",
                "1,284",
            ),
        ),
        Heading(1, "2 Wellbeing scores"),
        para(
            "Wellbeing was measured with a twelve-item scale scored from 0 to 100, where higher "
            "scores mean better wellbeing.",
            Fact(
                "The Trust-wide mean score fell from 64.8 in 2023 to 63.1 in 2024.",
                "What was the Trust-wide mean wellbeing score in 2024?",
                "63.1",
            ),
            "At every school, older cohorts reported lower wellbeing than younger ones.",
        ),
        Table(
            "Table 1: Mean wellbeing score by school and cohort, 2024",
            (
                (
                    clear("School", "school"),
                    cohort(1, "first", 2019),
                    cohort(2, "second", 2020),
                    cohort(3, "third", 2021),
                    Header(
                        "σ",
                        "standard deviation of individual scores, all cohorts",
                        "symbol",
                        "none",
                    ),
                    Header(
                        "Resp.",
                        "number of students who returned the questionnaire",
                        "shortened",
                        "legend",
                        resp_legend,
                    ),
                    Header(
                        "%Δ¹",
                        "percent change in the all-cohort mean since the 2023 survey",
                        "symbol",
                        "footnote",
                        change_note,
                    ),
                ),
            ),
            (
                ("Ashgrove Academy", "61.2", "63.5", "66.9", "14.2", "241", "-2.4"),
                ("Brookfield High", "58.7", "60.1", "64.2", "15.8", "198", "-3.1"),
                ("Castle Rise School", "63.9", "65.0", "68.3", "13.1", "226", "0.6"),
                ("Dunmore College", "60.4", "62.8", "65.5", "14.9", "187", "-1.9"),
                ("Elmhurst School", "57.3", "59.9", "62.0", "16.4", "219", "-4.2"),
                ("Fenwick Park Academy", "62.5", "64.7", "67.1", "13.7", "213", "1.3"),
            ),
            notes=(resp_legend, change_note),
        ),
        para(
            Fact(
                "Elmhurst School recorded the largest fall and will pilot a peer mentoring "
                "programme from September 2024.",
                "Which school will pilot a peer mentoring programme?",
                "Elmhurst School",
            ),
        ),
    )
    return Doc(
        file="cohort_survey.pdf",
        title="Westvale Schools Trust: Student Wellbeing Cohort Survey 2024",
        subtitle="Westvale Schools Trust · Research and Evaluation Team · June 2024",
        author="Westvale Schools Trust",
        running_header="Westvale Schools Trust | Cohort Survey 2024",
        date="D:20240614100000Z",
        pages=(page,),
    )


def municipal_budget() -> Doc:
    """A one-page budget report: a clear two-row-header table and a capital projects table."""
    spending = (
        "Table 2 sets the expenditure on each capital project up to the end of December "
        "against its approved budget."
    )
    var_note = "* Var.: budget minus expenditure; a negative value is an overspend."
    department = clear("Department", "council department", rowspan=2)

    def year(y: str) -> Header:
        return clear(y, f"financial year {y}", colspan=2)

    def sub(word: str, y: str) -> Header:
        meaning = {"Plan": "approved budget", "Actual": "actual net expenditure"}[word]
        return clear(word, f"{meaning}, {y} (EUR thousand)")

    page = (
        Heading(1, "1 Summary"),
        para(
            Fact(
                "Net revenue expenditure in 2023 was EUR 48.6 million, which was EUR 1.2 million "
                "below the approved budget.",
                "By how much was net revenue expenditure in 2023 below the approved budget?",
                "EUR 1.2 million",
            ),
            Fact(
                "The Council employed 412 full-time equivalent staff at the end of 2023.",
                "How many full-time equivalent staff did the Council employ at the end of 2023?",
                "412",
            ),
        ),
        Heading(1, "2 Revenue budget by department"),
        para(
            "Table 1 compares the approved plan with actual net expenditure for the last two "
            "years.",
            "Social Care was the only department to overspend in 2023.",
        ),
        Table(
            "Table 1: Net revenue expenditure by department (EUR thousand)",
            (
                (department, year("2022"), year("2023")),
                (
                    sub("Plan", "2022"),
                    sub("Actual", "2022"),
                    sub("Plan", "2023"),
                    sub("Actual", "2023"),
                ),
            ),
            (
                ("Roads and Transport", "12,450", "12,910", "13,100", "12,760"),
                ("Waste Services", "8,300", "8,120", "8,650", "8,540"),
                ("Parks and Open Spaces", "3,150", "2,980", "3,200", "3,050"),
                ("Libraries and Culture", "2,740", "2,690", "2,800", "2,610"),
                ("Social Care", "15,600", "16,240", "16,500", "16,580"),
                ("Planning and Housing", "4,120", "3,870", "4,350", "4,010"),
                ("Corporate Services", "1,210", "1,090", "1,200", "1,050"),
                ("Total", "47,570", "47,900", "49,800", "48,600"),
            ),
        ),
        Heading(1, "3 Capital programme"),
        para(
            spending,
            Fact(
                "The Harbour Road bridge repair was delayed by flooding in November and will be "
                "completed in 2024.",
                "Why was the Harbour Road bridge repair delayed?",
                "flooding in November",
            ),
        ),
        Table(
            "Table 2: Capital projects, 2023 (EUR thousand)",
            (
                (
                    clear("Project", "capital project"),
                    clear("Budget", "approved project budget (EUR thousand)"),
                    Header(
                        "Exp.",
                        "expenditure to the end of December (EUR thousand)",
                        "shortened",
                        "implied",
                        spending,
                    ),
                    Header(
                        "Var.",
                        "variance: budget minus expenditure (EUR thousand)",
                        "shortened",
                        "footnote",
                        var_note,
                        sup="*",
                    ),
                    Header("RAG", "red/amber/green delivery status rating", "acronym", "none"),
                ),
            ),
            (
                ("Harbour Road bridge repair", "3,400", "1,870", "1,530", "R"),
                ("Northgate school extension", "2,950", "3,080", "−130", "A"),
                ("Mill Lane flood defences", "1,800", "1,640", "160", "G"),
                ("Town hall roof renewal", "1,150", "1,120", "30", "G"),
                ("Cycle route phase 2", "1,620", "980", "640", "A"),
                ("Library refurbishment", "980", "610", "370", "G"),
            ),
            notes=(var_note,),
        ),
    )
    return Doc(
        file="municipal_budget.pdf",
        title="Town of Ashcombe: Budget Outturn Report 2023",
        subtitle="Finance Directorate · Report to the Finance and Audit Committee · 14 May 2024",
        author="Town of Ashcombe",
        running_header="Town of Ashcombe | Budget Outturn 2023",
        date="D:20240514080000Z",
        pages=(page,),
    )


DOCUMENTS = (river_quality, pump_reliability, cohort_survey, municipal_budget)


# ================================================================================ rendering

PAGE = pymupdf.paper_rect("a4")
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 64, 72, 68
BODY = pymupdf.Rect(MARGIN_X, MARGIN_TOP, PAGE.width - MARGIN_X, PAGE.height - MARGIN_BOTTOM)
RUNNING_FONT, RUNNING_SIZE, GREY = "helv", 8, (0.35, 0.35, 0.35)
FOOTER_LEFT = "Fictional sample document generated for abstab"

# The Story engine uses MuPDF's built-in Nimbus Sans for sans-serif, which has Greek, the minus
# sign and superscript digits, so no font needs to be embedded by hand; subsetting keeps it small.
CSS = """
body { font-family: sans-serif; font-size: 10pt; line-height: 1.3; }
p { margin: 0 0 6pt 0; text-align: left; }
h1 { font-size: 13pt; margin: 12pt 0 5pt 0; }
h2 { font-size: 11pt; margin: 9pt 0 4pt 0; }
p.title { font-size: 17pt; font-weight: bold; line-height: 1.15; margin: 0 0 4pt 0; }
p.subtitle { font-size: 9pt; color: #555555; margin: 0 0 6pt 0; }
p.caption { font-size: 9pt; font-weight: bold; margin: 10pt 0 3pt 0; }
p.figcaption { font-size: 9pt; font-weight: bold; margin: 3pt 0 8pt 0; }
p.note { font-size: 8pt; margin: 0 0 1pt 0; }
div.notes { margin: 3pt 0 8pt 0; }
div.figure { margin: 6pt 0 0 0; }
table { border-collapse: collapse; font-size: 9pt; margin: 0 0 4pt 0; }
th, td { padding: 2pt 6pt; }
td.num { text-align: right; }
td.key, th.key { text-align: left; }
table.grid th, table.grid td { border: 0.6pt solid #000000; }
table.booktabs th.top { border-top: 1pt solid #000000; }
table.booktabs th.bottom { border-bottom: 0.5pt solid #000000; }
table.booktabs td.last { border-bottom: 1pt solid #000000; }
"""

_LIGATURE = re.compile(r"f(?=[fil])")


def esc(text: str) -> str:
    """HTML-escapes ``text`` and stops MuPDF from forming ligatures.

    MuPDF's layout replaces ``fi``, ``fl``, ``ff`` ... by ligature glyphs that extract as
    U+FB01 etc., so "definition" would not be found verbatim in the extracted text. An empty
    ``<span>`` after each ``f`` splits the shaping run without adding any character.
    """
    return _LIGATURE.sub("f<span></span>", html.escape(text, quote=False))


def table_html(table: Table) -> str:
    """The caption, table and notes of ``table`` as HTML."""
    booktabs = table.rules == "booktabs"
    last_header = len(table.header_rows) - 1
    out = [f'<p class="caption">{esc(table.caption)}</p>', f'<table class="{table.rules}">']
    for r, cells in enumerate(table.header_rows):
        out.append("<tr>")
        for i, h in enumerate(cells):
            classes = ["key"] if r == 0 and i == 0 else []
            if booktabs and r == 0:
                classes.append("top")
            if booktabs and r + h.rowspan - 1 == last_header:
                classes.append("bottom")
            attrs = f' class="{" ".join(classes)}"' if classes else ""
            attrs += f' colspan="{h.colspan}"' if h.colspan > 1 else ""
            attrs += f' rowspan="{h.rowspan}"' if h.rowspan > 1 else ""
            sup = f"<sup>{esc(h.sup)}</sup>" if h.sup else ""
            out.append(f"<th{attrs}>{esc(h.text)}{sup}</th>")
        out.append("</tr>")
    for r, row in enumerate(table.rows):
        last = " last" if booktabs and r == len(table.rows) - 1 else ""
        cells = [f'<td class="key{last}">{esc(row[0])}</td>']
        cells += [f'<td class="num{last}">{esc(v)}</td>' for v in row[1:]]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    if table.notes:
        out.append('<div class="notes">')
        out += [f'<p class="note">{esc(n)}</p>' for n in table.notes]
        out.append("</div>")
    return "\n".join(out)


def page_html(doc: Doc, page_no: int) -> str:
    """The HTML of one page; the first page opens with the title and subtitle."""
    out = []
    if page_no == 0:
        out += [
            f'<p class="title">{esc(doc.title)}</p>',
            f'<p class="subtitle">{esc(doc.subtitle)}</p>',
        ]
    for i, block in enumerate(doc.pages[page_no]):
        if isinstance(block, Heading):
            out.append(f"<h{block.level}>{esc(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p>{esc(block.text)}</p>")
        elif isinstance(block, Table):
            out.append(table_html(block))
        elif isinstance(block, Figure):
            out.append(f'<div class="figure" id="fig{i}" style="height:{block.height}pt"></div>')
            out.append(f'<p class="figcaption">{esc(block.caption)}</p>')
    return "\n".join(out)


def draw_figure(page: pymupdf.Page, fig: Figure, area: pymupdf.Rect) -> None:
    """Draws ``fig`` as a grid of labelled boxes joined by arrows inside ``area``."""
    box_w, box_h, gap_x = 96, 30, 38
    n_rows = -(-len(fig.steps) // fig.per_row)
    gap_y = (area.height - n_rows * box_h) / n_rows
    x0 = area.x0 + (area.width - (fig.per_row * box_w + (fig.per_row - 1) * gap_x)) / 2
    boxes = []
    for k, label in enumerate(fig.steps):
        r, c = divmod(k, fig.per_row)
        y0 = area.y0 + gap_y / 2 + r * (box_h + gap_y)
        rect = pymupdf.Rect(
            x0 + c * (box_w + gap_x), y0, x0 + c * (box_w + gap_x) + box_w, y0 + box_h
        )
        page.draw_rect(rect, color=(0, 0, 0), fill=(0.93, 0.95, 0.98), width=0.8)
        width = pymupdf.get_text_length(label, fontname="helv", fontsize=9)
        page.insert_text(
            (rect.x0 + (box_w - width) / 2, rect.y0 + box_h / 2 + 3),
            label,
            fontname="helv",
            fontsize=9,
        )
        boxes.append(rect)

    def arrow(points: list[pymupdf.Point]) -> None:
        page.draw_polyline(points, color=(0, 0, 0), width=0.8)
        tip, before = points[-1], points[-2]
        d = (tip - before) / abs(tip - before)
        n = pymupdf.Point(-d.y, d.x)
        base = tip - d * 5
        page.draw_polyline(
            [tip, base + n * 2.5, base - n * 2.5],
            color=(0, 0, 0),
            fill=(0, 0, 0),
            width=0.5,
            closePath=True,
        )

    for a, b in itertools.pairwise(boxes):
        if abs(a.y0 - b.y0) < 1:  # same row: straight arrow
            arrow([pymupdf.Point(a.x1, a.y0 + box_h / 2), pymupdf.Point(b.x0, b.y0 + box_h / 2)])
        else:  # next row: elbow connector from the bottom of a to the top of b
            mid_y = (a.y1 + b.y0) / 2
            arrow(
                [
                    pymupdf.Point((a.x0 + a.x1) / 2, a.y1),
                    pymupdf.Point((a.x0 + a.x1) / 2, mid_y),
                    pymupdf.Point((b.x0 + b.x1) / 2, mid_y),
                    pymupdf.Point((b.x0 + b.x1) / 2, b.y0),
                ]
            )


def draw_running_text(page: pymupdf.Page, doc: Doc, page_no: int, n_pages: int) -> None:
    """Draws the running header and footer (with the page number) on ``page``."""

    def right(text: str, y: float) -> None:
        width = pymupdf.get_text_length(text, fontname=RUNNING_FONT, fontsize=RUNNING_SIZE)
        page.insert_text(
            (BODY.x1 - width, y), text, fontname=RUNNING_FONT, fontsize=RUNNING_SIZE, color=GREY
        )

    top, bottom = MARGIN_TOP - 30, PAGE.height - MARGIN_BOTTOM + 36
    page.insert_text(
        (BODY.x0, top), doc.running_header, fontname=RUNNING_FONT, fontsize=RUNNING_SIZE, color=GREY
    )
    right(doc.subtitle.split(" · ")[-1], top)
    page.insert_text(
        (BODY.x0, bottom), FOOTER_LEFT, fontname=RUNNING_FONT, fontsize=RUNNING_SIZE, color=GREY
    )
    right(f"Page {page_no + 1} of {n_pages}", bottom)


def element_rects(story: pymupdf.Story) -> dict[str, pymupdf.Rect]:
    """The rectangles of the placed elements that have an ``id``, by id."""
    rects: dict[str, pymupdf.Rect] = {}

    def remember(position) -> None:
        if position.id:
            rects.setdefault(position.id, pymupdf.Rect(position.rect))

    story.element_positions(remember)
    return rects


def render(doc: Doc) -> bytes:
    """Lays out ``doc`` page by page with the Story API and returns deterministic PDF bytes."""
    buffer = io.BytesIO()
    writer = pymupdf.DocumentWriter(buffer)
    figure_areas: list[dict[str, pymupdf.Rect]] = []
    for page_no in range(len(doc.pages)):
        story = pymupdf.Story(page_html(doc, page_no), user_css=CSS)
        device = writer.begin_page(PAGE)
        more, _ = story.place(BODY)
        if more:
            raise ValueError(f"{doc.file}: page {page_no + 1} overflows; move blocks to a new page")
        figure_areas.append(element_rects(story))
        story.draw(device)
        writer.end_page()
    writer.close()

    pdf = pymupdf.open("pdf", buffer.getvalue())
    for page_no, page in enumerate(pdf):
        for i, block in enumerate(doc.pages[page_no]):
            if isinstance(block, Figure):
                draw_figure(page, block, figure_areas[page_no][f"fig{i}"])
        draw_running_text(page, doc, page_no, pdf.page_count)
    pdf.set_metadata(
        {
            "title": doc.title,
            "author": doc.author,
            "subject": "Fictional sample report for the abstab benchmark",
            "keywords": "",
            "creator": "abstab datasets/sample/make_sample.py",
            "producer": "PyMuPDF Story API",
            "creationDate": doc.date,
            "modDate": doc.date,
        }
    )
    pdf.subset_fonts()
    # A fixed file identifier derived from the file name; no_new_id keeps MuPDF from
    # replacing its second half with a random one on save.
    file_id = hashlib.md5(doc.file.encode()).hexdigest().upper()
    pdf.xref_set_key(-1, "ID", f"[<{file_id}><{file_id}>]")
    return pdf.tobytes(garbage=4, deflate=True, no_new_id=True)


# ===================================================================================== gold


def table_gold(block: Table | Figure, page: int) -> dict:
    """The gold entry of one table or figure."""
    if isinstance(block, Figure):
        return {
            "caption": block.caption,
            "page": page,
            "kind": "figure",
            "clear": False,
            "header_rows": [],
            "row_keys": [],
            "headers": [],
        }
    grid = block.header_grid()
    headers, seen = [], set()
    for r, row in enumerate(grid):
        for h, col in row:
            if id(h) in seen:
                continue
            seen.add(id(h))
            headers.append(
                {
                    "header": h.label,
                    "column": col,
                    "meaning": h.meaning,
                    "style": h.style,
                    "explained_by": h.explained_by,
                    "evidence": h.evidence,
                }
            )
    return {
        "caption": block.caption,
        "page": page,
        "kind": "table",
        "clear": all(h["style"] == "natural" for h in headers),
        "header_rows": [[h.label for h, _ in row] for row in grid],
        "row_keys": [row[0] for row in block.rows],
        "headers": headers,
    }


def document_gold(doc: Doc) -> dict:
    """The gold entry of one document: facts from its paragraphs, then its tables."""
    facts, tables = [], []
    for page_no, blocks in enumerate(doc.pages, start=1):
        for block in blocks:
            if isinstance(block, Paragraph):
                facts += [
                    {"question": p.question, "answer": p.answer, "sentence": p.sentence}
                    for p in block.parts
                    if isinstance(p, Fact)
                ]
            elif isinstance(block, (Table, Figure)):
                tables.append(table_gold(block, page_no))
    return {"file": f"pdfs/{doc.file}", "title": doc.title, "text_facts": facts, "tables": tables}


# =============================================================================== checks


def check_data(doc: Doc) -> None:
    """Asserts that the data of ``doc`` is well formed before anything is rendered."""
    for blocks in doc.pages:
        for block in blocks:
            if isinstance(block, Paragraph):
                for p in block.parts:
                    if isinstance(p, Fact):
                        assert p.answer in p.sentence, f"answer not in sentence: {p.sentence!r}"
            if not isinstance(block, Table):
                continue
            t = block
            assert t.caption.startswith("Table "), t.caption
            assert 4 <= len(t.rows) <= 8, f"{t.caption}: {len(t.rows)} body rows"
            assert all(len(row) == t.n_cols for row in t.rows), f"{t.caption}: ragged rows"
            keys = [row[0] for row in t.rows]
            assert len(set(keys)) == len(keys), f"{t.caption}: duplicate row keys"
            for row in t.header_grid():
                for h, _ in row:
                    assert h.style in STYLES and h.explained_by in EXPLAINED_BY, h
                    assert (h.style == "natural") == (h.explained_by == "clear"), h
                    assert (h.evidence is None) == (h.explained_by in ("clear", "none")), h
                    if h.explained_by in ("legend", "footnote"):
                        assert h.evidence in t.notes, f"{h.label}: evidence is not a note line"


def normalise(text: str) -> str:
    """Collapses every run of whitespace to one space."""
    return " ".join(text.split())


def check_pdf(doc: Doc, gold: dict, pdf: pymupdf.Document) -> None:
    """Asserts that every gold string appears verbatim in the extracted text of ``pdf``."""
    pages = [normalise(page.get_text()) for page in pdf]
    everything = " ".join(pages)
    assert pdf.page_count == len(doc.pages), doc.file
    assert not re.search("[\ufb00-\ufb06]", everything), f"{doc.file}: ligature glyphs"
    for page_text in pages:
        assert normalise(doc.running_header) in page_text, f"{doc.file}: running header"
    for fact in gold["text_facts"]:
        assert any(fact["sentence"] in p for p in pages), f"fact not found: {fact['sentence']!r}"
    for entry in gold["tables"]:
        text = pages[entry["page"] - 1]
        assert entry["caption"] in text, (
            f"caption not on page {entry['page']}: {entry['caption']!r}"
        )
        for h in entry["headers"]:
            assert h["header"] in text, f"header not found: {h['header']!r}"
            if h["evidence"] is not None:
                assert any(h["evidence"] in p for p in pages), (
                    f"evidence not found: {h['evidence']!r}"
                )
    for blocks, text in zip(doc.pages, pages):
        for t in (b for b in blocks if isinstance(b, Table)):
            for row in t.rows:
                for value in row:
                    assert value in text, f"{t.caption}: cell {value!r} not found"


def check_corpus(gold: dict) -> Counter:
    """Asserts the corpus-level coverage and returns the style x explained_by counts."""
    counts: Counter = Counter()
    tables = [t for d in gold["documents"] for t in d["tables"]]
    for t in tables:
        for h in t["headers"]:
            counts[h["style"], h["explained_by"]] += 1
    real = [t for t in tables if t["kind"] == "table"]
    assert 6 <= len(real) <= 8, f"{len(real)} tables"
    assert 2 <= sum(t["clear"] for t in real) <= 3, "need 2-3 clear tables"
    assert any(t["kind"] == "figure" for t in tables), "need a figure"
    assert any(len(t["header_rows"]) > 1 for t in real), "need a two-row header"
    for style in STYLES[1:]:
        assert sum(n for (s, _), n in counts.items() if s == style) >= 2, style
    for way in ("definition", "legend", "footnote", "implied", "none"):
        assert sum(n for (_, e), n in counts.items() if e == way) >= 2, way
    return counts


# =============================================================================== report


def report(pdf_path: Path) -> None:
    """Prints what ``find_tables()`` finds in a PDF, and the font sizes of its text."""
    pdf = pymupdf.open(pdf_path)
    print(f"\n== {pdf_path.name} ({pdf_path.stat().st_size:,} bytes, {pdf.page_count} pages)")
    sizes: dict[tuple[float, bool], str] = {}
    for page in pdf:
        found = page.find_tables()
        print(f"  page {page.number + 1}: {len(found.tables)} table(s)")
        for t in found.tables:
            rows = t.extract()
            body = rows[0] if t.header.external else rows[1] if len(rows) > 1 else None
            print(
                f"    bbox={tuple(round(v) for v in t.bbox)} {t.row_count}x{t.col_count}"
                f" external_header={t.header.external}"
            )
            print(f"      header: {t.header.names}")
            print(f"      first body row: {body}")
        for block in page.get_text("dict")["blocks"]:
            for line in block.get("lines", []):
                for span in line["spans"]:
                    key = (round(span["size"], 1), bool(span["flags"] & 16))
                    sizes.setdefault(key, span["text"][:40])
    print("  font sizes (size, bold): first text seen")
    for (size, bold), text in sorted(sizes.items(), reverse=True):
        print(f"    {size:5.1f} {'bold' if bold else '    '} {text!r}")


# ================================================================================= main


def main() -> None:
    """Renders the PDFs, writes gold.json and verifies both."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--report", action="store_true", help="print find_tables() results and font sizes per PDF"
    )
    args = parser.parse_args()

    PDF_DIR.mkdir(parents=True, exist_ok=True)
    documents = []
    for make in DOCUMENTS:
        doc = make()
        check_data(doc)
        data = render(doc)
        gold = document_gold(doc)
        check_pdf(doc, gold, pymupdf.open("pdf", data))
        (PDF_DIR / doc.file).write_bytes(data)
        documents.append(gold)
        print(
            f"{doc.file}: {len(doc.pages)} page(s), {len(data):,} bytes, "
            f"sha256 {hashlib.sha256(data).hexdigest()[:16]}"
        )

    gold = {"version": 1, "documents": documents}
    counts = check_corpus(gold)
    GOLD_PATH.write_text(json.dumps(gold, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {GOLD_PATH.relative_to(HERE.parent.parent)}")
    print("headers by style x explained_by:")
    for (style, way), n in sorted(counts.items()):
        print(f"  {style:13} {way:11} {n}")
    if args.report:
        for doc in documents:
            report(HERE / doc["file"])


if __name__ == "__main__":
    main()

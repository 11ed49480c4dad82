"""``abstab review WORK``: a person checks and corrects what the machine decided.

A local page (:mod:`.server`) shows each table as printed beside what the machine made of it;
decisions are records in ``WORK/review/decisions.jsonl`` (:mod:`.decisions`); ``--export`` /
``--import`` carry the units as a file; ``--report`` scores the machine against them
(:mod:`.report`). What to review is read in :mod:`.workspace`. The pipeline reads the decisions
through :func:`abstab.review.decisions.latest_decisions`.
"""

from abstab.review.decisions import latest_decisions

__all__ = ["latest_decisions"]

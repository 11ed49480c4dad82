"""``abstab review WORK``: a person checks and corrects what the machine decided.

A local page (:mod:`.server`) shows each table as printed beside what the machine made of it;
decisions are records in ``WORK/review/decisions.jsonl`` (:mod:`.decisions`); ``--export`` /
``--import`` carry the units as a file; ``--report`` scores the machine against them
(:mod:`.report`). What to review is read in :mod:`.workspace`. The decisions are read and
written by :mod:`abstab.decisions` (a floor the stages may import): the pipeline honours them
(:mod:`abstab.stages.reviewed`).
"""

from abstab.decisions import latest_decisions

__all__ = ["latest_decisions"]

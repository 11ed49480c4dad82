"""Dataset releases: ``abstab release`` writes one, ``abstab validate`` checks one.

Needs the extra ``release`` (pyarrow, datasets, matplotlib); ``croissant`` adds the full
Croissant check.
"""

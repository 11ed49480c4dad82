"""Synthesis helpers for the generate stage and for dataset ingestion.

``build`` / ``render`` / ``validate``: synthetic documents from external table-QA datasets
(controlled abstraction, gold by construction), their PDFs, and the evidence re-check.

The package is also ``abstab.synth(pipeline, work, ...)`` (:func:`abstab.api.synth`): a
package and the API function cannot share one name otherwise, since importing
``abstab.synth.build`` rebinds ``abstab.synth`` to the package.
"""

import sys

from abstab import _ApiPackage

sys.modules[__name__].__class__ = _ApiPackage

"""Scoring systems on a dataset: data, systems, metrics, reports.

The package is also ``abstab.bench(dataset, systems, ...)`` (:func:`abstab.api.bench`): a
package and the API function cannot share one name otherwise, since importing
``abstab.bench.run`` rebinds ``abstab.bench`` to the package.
"""

import sys

from abstab import _ApiPackage

sys.modules[__name__].__class__ = _ApiPackage

"""What is minimized: the registry of 2-D loss surfaces.

``LANDSCAPES`` maps a slug to a :class:`Landscape`; ``from_formula`` compiles a typed
formula into one (raising :class:`FormulaError`, a ``ValueError``, on anything refused).
"""

from landscapes.base import FAMILIES, Domain, Landscape, Point
from landscapes.classic import CLASSIC
from landscapes.formula import FormulaError, from_formula
from landscapes.network import NETWORK

LANDSCAPES: dict[str, Landscape] = {ls.slug: ls for ls in (*CLASSIC, *NETWORK)}

__all__ = ["FAMILIES", "LANDSCAPES", "Domain", "FormulaError", "Landscape", "Point", "from_formula"]

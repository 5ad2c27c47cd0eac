"""Classic optimization test surfaces.

Formulas, domains and minima follow the Virtual Library of Simulation Experiments
(Surjanovic & Bingham, https://www.sfu.ca/~ssurjano/optimization.html) and Jamil & Yang,
"A literature survey of benchmark functions for global optimisation problems" (2013).
Minima and saddle points not given in closed form there were refined here by Newton's
method in float64 (see tests/landscapes/test_registry.py, which re-checks every one).

Every ``loss`` takes ``p`` of shape ``(2, ...)`` so one definition evaluates a point or a
grid, and ``params`` (unused by most).
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from hparam import HParam
from landscapes.base import Landscape

TWO_PI = 2.0 * math.pi


def rosenbrock(p, params):
    x, y = p[0], p[1]
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def saddle(p, params):
    return p[0] ** 2 - p[1] ** 2


def monkey_saddle(p, params):
    x, y = p[0], p[1]
    return x**3 - 3.0 * x * y**2


def beale(p, params):
    x, y = p[0], p[1]
    return (
        (1.5 - x + x * y) ** 2
        + (2.25 - x + x * y**2) ** 2
        + (2.625 - x + x * y**3) ** 2
    )


def himmelblau(p, params):
    x, y = p[0], p[1]
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


def rastrigin(p, params):
    x, y = p[0], p[1]
    return 20.0 + x**2 - 10.0 * jnp.cos(TWO_PI * x) + y**2 - 10.0 * jnp.cos(TWO_PI * y)


def _safe_sqrt(s):
    # sqrt has an infinite derivative at 0; the double `where` keeps the gradient finite
    # (it is the subgradient 0 of the cone at its tip) instead of NaN.
    positive = s > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, s, 1.0)), 0.0)


def ackley(p, params):
    x, y = p[0], p[1]
    r = _safe_sqrt(0.5 * (x**2 + y**2))
    return (
        -20.0 * jnp.exp(-0.2 * r)
        - jnp.exp(0.5 * (jnp.cos(TWO_PI * x) + jnp.cos(TWO_PI * y)))
        + math.e
        + 20.0
    )


def booth(p, params):
    x, y = p[0], p[1]
    return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2


def goldstein_price(p, params):
    x, y = p[0], p[1]
    a = 1.0 + (x + y + 1.0) ** 2 * (
        19.0 - 14.0 * x + 3.0 * x**2 - 14.0 * y + 6.0 * x * y + 3.0 * y**2
    )
    b = 30.0 + (2.0 * x - 3.0 * y) ** 2 * (
        18.0 - 32.0 * x + 12.0 * x**2 + 48.0 * y - 36.0 * x * y + 27.0 * y**2
    )
    return a * b


def six_hump_camel(p, params):
    x, y = p[0], p[1]
    return (4.0 - 2.1 * x**2 + x**4 / 3.0) * x**2 + x * y + (-4.0 + 4.0 * y**2) * y**2


def styblinski_tang(p, params):
    x, y = p[0], p[1]
    return 0.5 * (x**4 - 16.0 * x**2 + 5.0 * x + y**4 - 16.0 * y**2 + 5.0 * y)


def quadratic(p, params):
    """½ (u² + κ v²) in coordinates (u, v) rotated by θ degrees from (x, y)."""
    theta = jnp.deg2rad(params["theta"])
    c, s = jnp.cos(theta), jnp.sin(theta)
    u = c * p[0] + s * p[1]
    v = -s * p[0] + c * p[1]
    return 0.5 * (u**2 + params["kappa"] * v**2)


# Roots of the 1-D derivative 2u³ - 16u + 2.5: the deep well, the shallow well, the ridge.
_STYBLINSKI_X = -2.903534027771177
_STYBLINSKI_SHALLOW = 2.746802770990837
_STYBLINSKI_PEAK = 0.1567312567803401
_CAMEL = (0.08984201310031806, -0.7126564030207396)

CLASSIC: tuple[Landscape, ...] = (
    Landscape(
        slug="rosenbrock",
        name="Rosenbrock",
        family="classic",
        loss=rosenbrock,
        domain=((-2.0, 2.0), (-1.0, 3.0)),
        start=(-1.5, 2.5),
        latex=r"f(x,y) = (1-x)^2 + 100\,(y-x^2)^2",
        minima=((1.0, 1.0),),
        min_value=0.0,
        log_scale=True,
        reference="H. H. Rosenbrock, The Computer Journal 3(3), 1960",
        blurb="A curved, flat-bottomed valley: easy to find, hard to follow to (1, 1).",
    ),
    Landscape(
        slug="saddle",
        name="Saddle",
        family="saddle",
        loss=saddle,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=(-1.8, 0.001),
        latex=r"f(x,y) = x^2 - y^2",
        saddles=((0.0, 0.0),),
        reference="The canonical non-degenerate saddle (Hessian diag(2, -2))",
        blurb="Unbounded below: no minimum. Plain gradient descent crawls to the saddle "
        "point and only leaves it along the tiny y-component of the start.",
    ),
    Landscape(
        slug="monkey_saddle",
        name="Monkey saddle",
        family="saddle",
        loss=monkey_saddle,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=(1.5, 0.05),
        latex=r"f(x,y) = x^3 - 3xy^2",
        saddles=((0.0, 0.0),),
        reference="A degenerate saddle (zero Hessian at the origin), e.g. Hilbert & "
        "Cohn-Vossen, Geometry and the Imagination (1932)",
        blurb="Three valleys meet at a flat point where the Hessian vanishes.",
    ),
    Landscape(
        slug="beale",
        name="Beale",
        family="classic",
        loss=beale,
        domain=((-4.5, 4.5), (-4.5, 4.5)),
        start=(1.0, 1.4),
        latex=r"f(x,y) = (1.5-x+xy)^2 + (2.25-x+xy^2)^2 + (2.625-x+xy^3)^2",
        minima=((3.0, 0.5),),
        min_value=0.0,
        log_scale=True,
        reference="E. M. L. Beale, On an iterative method for finding a local minimum "
        "of a function of more than one variable (1958)",
        blurb="Sharp ridges at the corners, a long flat channel to (3, 0.5).",
    ),
    Landscape(
        slug="himmelblau",
        name="Himmelblau",
        family="classic",
        loss=himmelblau,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(0.0, 0.0),
        latex=r"f(x,y) = (x^2+y-11)^2 + (x+y^2-7)^2",
        minima=(
            (3.0, 2.0),
            (-2.805118086952745, 3.131312518250573),
            (-3.779310253377747, -3.283185991286169),
            (3.5844283403304917, -1.8481265269644034),
        ),
        min_value=0.0,
        saddles=(
            (3.385154183607021, 0.07385187983774928),
            (-0.12796134673068005, -1.9537149802445766),
            (0.08667750455539634, 2.884254701174776),
            (-3.0730257507643897, -0.08135304428796751),
        ),
        log_scale=True,
        reference="D. M. Himmelblau, Applied Nonlinear Programming (1972)",
        blurb="Four global minima, four saddles and one maximum near (-0.27, -0.92): "
        "which basin you land in depends on where you start.",
    ),
    Landscape(
        slug="rastrigin",
        name="Rastrigin",
        family="classic",
        loss=rastrigin,
        domain=((-5.12, 5.12), (-5.12, 5.12)),
        start=(3.2, 2.2),
        latex=r"f(x,y) = 20 + \sum_{u\in\{x,y\}} \left(u^2 - 10\cos 2\pi u\right)",
        minima=((0.0, 0.0),),
        min_value=0.0,
        reference="L. A. Rastrigin, Systems of extremal control (1974)",
        blurb="A bowl covered in a regular grid of local minima.",
    ),
    Landscape(
        slug="ackley",
        name="Ackley",
        family="classic",
        loss=ackley,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(3.5, -2.5),
        latex=r"f(x,y) = -20\,e^{-0.2\sqrt{(x^2+y^2)/2}} - e^{(\cos 2\pi x+\cos 2\pi y)/2}"
        r" + e + 20",
        minima=((0.0, 0.0),),
        min_value=0.0,
        reference="D. H. Ackley, A connectionist machine for genetic hillclimbing (1987)",
        blurb="A nearly flat plate of local minima around one deep, sharp hole.",
    ),
    Landscape(
        slug="booth",
        name="Booth",
        family="classic",
        loss=booth,
        domain=((-10.0, 10.0), (-10.0, 10.0)),
        start=(-8.0, 8.0),
        latex=r"f(x,y) = (x+2y-7)^2 + (2x+y-5)^2",
        minima=((1.0, 3.0),),
        min_value=0.0,
        log_scale=True,
        reference="Jamil & Yang (2013), function 22",
        blurb="A convex quadratic with condition number 9 and tilted axes.",
    ),
    Landscape(
        slug="goldstein_price",
        name="Goldstein–Price",
        family="classic",
        loss=goldstein_price,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=(-1.0, 1.5),
        latex=r"f(x,y) = \left[1+(x+y+1)^2(19-14x+3x^2-14y+6xy+3y^2)\right]"
        r"\left[30+(2x-3y)^2(18-32x+12x^2+48y-36xy+27y^2)\right]",
        minima=((0.0, -1.0),),
        min_value=3.0,
        log_scale=True,
        reference="A. A. Goldstein & J. F. Price, Math. Comp. 25 (1971)",
        blurb="Values span six decades; several local minima around the global one at "
        "(0, -1).",
    ),
    Landscape(
        slug="six_hump_camel",
        name="Six-hump camel",
        family="classic",
        loss=six_hump_camel,
        domain=((-3.0, 3.0), (-2.0, 2.0)),
        start=(-1.5, -1.0),
        latex=r"f(x,y) = \left(4-2.1x^2+\tfrac{x^4}{3}\right)x^2 + xy + (-4+4y^2)\,y^2",
        minima=(_CAMEL, (-_CAMEL[0], -_CAMEL[1])),
        min_value=-1.0316284534898774,
        reference="L. C. W. Dixon & G. P. Szegő, Towards Global Optimisation 2 (1978)",
        blurb="Six local minima, two of them global and symmetric about the origin.",
    ),
    Landscape(
        slug="styblinski_tang",
        name="Styblinski–Tang",
        family="classic",
        loss=styblinski_tang,
        domain=((-5.0, 5.0), (-5.0, 5.0)),
        start=(4.0, 4.5),
        latex=r"f(x,y) = \tfrac12 \sum_{u\in\{x,y\}} \left(u^4 - 16u^2 + 5u\right)",
        minima=((_STYBLINSKI_X, _STYBLINSKI_X),),
        min_value=-78.33233140754282,
        saddles=(
            (_STYBLINSKI_X, _STYBLINSKI_PEAK),
            (_STYBLINSKI_PEAK, _STYBLINSKI_X),
            (_STYBLINSKI_SHALLOW, _STYBLINSKI_PEAK),
            (_STYBLINSKI_PEAK, _STYBLINSKI_SHALLOW),
        ),
        reference="M. A. Styblinski & T.-S. Tang, Neural Networks 3(4), 1990",
        blurb="Four wells of different depths; the deepest is at (-2.90, -2.90).",
    ),
    Landscape(
        slug="quadratic",
        name="Ill-conditioned quadratic",
        family="quadratic",
        loss=quadratic,
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        start=(-1.8, 1.2),
        latex=r"f(x,y) = \tfrac12\left(u^2 + \kappa v^2\right),\quad "
        r"\begin{pmatrix}u\\v\end{pmatrix} = R(\theta)\begin{pmatrix}x\\y\end{pmatrix}",
        minima=((0.0, 0.0),),
        min_value=0.0,
        params={
            "kappa": HParam(10.0, 1.0, 1000.0, log=True, label="κ (condition number)",
                            help="Ratio of the largest to the smallest curvature."),
            "theta": HParam(0.0, 0.0, 90.0, label="θ (rotation, degrees)",
                            help="Rotates the valley away from the coordinate axes."),
        },
        reference="Nocedal & Wright, Numerical Optimization (2006), §3.3",
        blurb="The simplest ravine: Hessian eigenvalues 1 and κ. Gradient descent is "
        "stable for η < 2/κ; rotating by θ mixes the axes that adaptive methods scale.",
    ),
)

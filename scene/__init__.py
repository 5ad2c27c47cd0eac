"""The Scene: the complete, validated state of one view, its table of settings, and its
two encodings (the share link, URL schema v=2, and the widgets' session state).

- ``scene.model``: ``Setup`` (what is computed), ``Display`` (how it is shown), ``Scene``.
- ``scene.settings``: every setting declared once (URL key, fields, what it affects).
- ``scene.codec``: the link and the widget state, derived from that table.
- ``scene.reader``: the primitives that read a hostile link without ever raising.
"""

from scene.codec import (
    SCHEMA_VERSION,
    from_query,
    from_query_string,
    from_state,
    query_string,
    to_query,
    to_state,
)
from scene.model import (
    MAX_LABEL_LENGTH,
    TUNINGS,
    Display,
    Racer,
    Scene,
    Setup,
    label_problem,
    pairs,
    racer_labels,
    second_params,
)
from scene.reader import MAX_VALUE_LENGTH, number_text
from scene.settings import (
    BASINS_N,
    CLIP,
    CURVES,
    MAX_OPTIMIZERS,
    MAX_SEED,
    MLP_PLANES,
    MODES,
    NETWORK_MODES,
    NOISE,
    SEEDS_COUNT,
    SETTINGS,
    STEPS,
    SWEEP_COUNT,
    SWEEP_LR_HIGH,
    SWEEP_LR_LOW,
    TUNE_TOLERANCE,
    VIEWS,
    is_racer_key,
    parse_domain,
    racer_key,
)

__all__ = [
    "BASINS_N",
    "CLIP",
    "CURVES",
    "MAX_LABEL_LENGTH",
    "MAX_OPTIMIZERS",
    "MAX_SEED",
    "MAX_VALUE_LENGTH",
    "MLP_PLANES",
    "MODES",
    "NETWORK_MODES",
    "NOISE",
    "SCHEMA_VERSION",
    "SEEDS_COUNT",
    "SETTINGS",
    "STEPS",
    "SWEEP_COUNT",
    "SWEEP_LR_HIGH",
    "SWEEP_LR_LOW",
    "TUNE_TOLERANCE",
    "TUNINGS",
    "VIEWS",
    "Display",
    "Racer",
    "Scene",
    "Setup",
    "from_query",
    "from_query_string",
    "from_state",
    "is_racer_key",
    "label_problem",
    "number_text",
    "pairs",
    "parse_domain",
    "query_string",
    "racer_key",
    "racer_labels",
    "second_params",
    "to_query",
    "to_state",
]

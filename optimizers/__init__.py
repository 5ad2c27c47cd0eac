"""How it is minimized: the optax catalogue, schedules, and the JAX engine."""

from optimizers.catalog import FAMILIES, OPTIMIZERS, Family, OptimizerSpec
from optimizers.engine import (
    MAX_STEPS,
    Outcome,
    Trajectory,
    bucket_steps,
    collect,
    launch,
    outcomes,
    race,
    simulate,
)
from optimizers.schedules import SCHEDULE_PARAMS, SCHEDULES

__all__ = [
    "FAMILIES", "MAX_STEPS", "OPTIMIZERS", "SCHEDULES", "SCHEDULE_PARAMS", "Family",
    "OptimizerSpec", "Outcome", "Trajectory", "bucket_steps", "collect", "launch", "outcomes",
    "race", "simulate",
]

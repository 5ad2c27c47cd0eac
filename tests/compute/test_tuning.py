"""Fair races (compute/tuning.py): each racer's learning rate is the best of its sweep by
the criterion, recomputed here from the sweep's own arrays; diverged runs never win;
`reach` honours its tolerance; a racer none of whose runs qualifies keeps its own rate;
the choice is a pure function of the Setup, and the race at the chosen rate ends where
its sweep said it would.

Every sweep runs 60 steps (the step bucket of the studies' tests): one compiled program
per optimizer serves every criterion and tolerance (the target is traced).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from compute import cache_key, compute_race, setup_of, tune, tuned_setup
from compute.tuning import TUNE_LRS, choose, tuning_lrs
from optimizers import OPTIMIZERS
from scene import Racer, Scene, Setup
from scene.settings import RACE

STEPS = 60
#: SGD and momentum on the quadratic (κ = 10): the largest rates of each sweep diverge.
QUAD = Scene.of(surface="quadratic", racers=(Racer.default("sgd"), Racer.default("momentum")),
                steps=STEPS).setup


@functools.cache
def tuned(setup: Setup):
    return tune(setup)


def quad(tune_as: str, tol: float = 1e-3) -> Setup:
    return Scene(QUAD).replace(tune=tune_as, tune_tol=tol).setup


def best_final(sweep) -> int:
    """The argmin of the final f − f* over the runs that did not diverge, from scratch."""
    candidates = [i for i in range(sweep.lrs.size) if sweep.diverged_at[i] < 0]
    return min(candidates, key=lambda i: (sweep.final_gap[i], i))


def best_reach(sweep) -> int | None:
    candidates = [i for i in range(sweep.lrs.size)
                  if sweep.diverged_at[i] < 0 and sweep.reached_at[i] >= 0]
    if not candidates:
        return None
    return min(candidates, key=lambda i: (sweep.reached_at[i], sweep.final_gap[i], i))


def test_each_racer_sweeps_64_rates_over_its_own_slider_range():
    tuning = tuned(quad("final"))
    assert [s.racer for s in tuning.sweeps] == [0, 1]
    for sweep, racer in zip(tuning.sweeps, QUAD.racers, strict=True):
        spec = OPTIMIZERS[racer.slug].hparams["learning_rate"]
        assert sweep.lrs.size == TUNE_LRS
        assert sweep.lrs[0] == spec.low and sweep.lrs[-1] == spec.high
        np.testing.assert_allclose(np.diff(np.log(sweep.lrs)),
                                   np.log(spec.high / spec.low) / (TUNE_LRS - 1), rtol=1e-9)
    assert tuning.f_star == 0.0 and tuning.f_star_known


def test_final_picks_the_lowest_final_gap_of_the_runs_that_did_not_diverge():
    for sweep in tuned(quad("final")).sweeps:
        assert (sweep.diverged_at >= 0).any()  # the claim is not vacuous
        assert sweep.chosen == best_final(sweep)
        assert sweep.diverged_at[sweep.chosen] < 0
        assert sweep.learning_rate == sweep.lrs[sweep.chosen]


@pytest.mark.parametrize("tol", [1e-3, 1e-5])
def test_reach_picks_the_fewest_steps_to_the_tolerance(tol):
    for sweep in tuned(quad("reach", tol)).sweeps:
        want = best_reach(sweep)
        assert sweep.chosen == want
        if want is None:
            assert sweep.learning_rate == sweep.own
        else:
            assert sweep.diverged_at[want] < 0 and sweep.reached_at[want] >= 0


def test_reach_honours_its_tolerance_in_the_race_it_chooses():
    """The race at the chosen rate first gets f − f* below tol at the step the sweep
    reported, and a tighter tolerance takes at least as many steps."""
    loose, tight = tuned(quad("reach", 1e-3)), tuned(quad("reach", 1e-5))
    sweep = loose.sweeps[0]
    race = compute_race(tuned_setup(quad("reach", 1e-3), loose))
    below = np.flatnonzero(race.runs[0].loss - loose.f_star < 1e-3)
    assert below[0] == sweep.reached_at[sweep.chosen] == race.runs[0].steps_to_tolerance
    tight_sweep = tight.sweeps[0]
    assert tight_sweep.chosen is not None
    assert tight_sweep.reached_at[tight_sweep.chosen] >= sweep.reached_at[sweep.chosen]
    # every reported step is a step of the run where f − f* < tol first held: a run
    # reported as reaching at k has not reached it before k in the looser tolerance either
    hit = tight_sweep.reached_at >= 0
    assert (sweep.reached_at[hit] >= 0).all()
    assert (sweep.reached_at[hit] <= tight_sweep.reached_at[hit]).all()


def test_a_tolerance_no_run_reaches_keeps_the_own_rate():
    tuning = tuned(quad("reach", 1e-8))
    momentum = tuning.sweeps[1]
    assert (momentum.reached_at < 0).all()
    assert momentum.chosen is None and momentum.learning_rate == QUAD.racers[1].values[
        "learning_rate"]
    assert tuned_setup(quad("reach", 1e-8), tuning).racers[1] == QUAD.racers[1]


def test_diverged_runs_are_never_chosen_even_where_they_ended_lowest():
    gap = np.array([5.0, 0.1, 3.0, 0.0])
    diverged = np.array([-1, 4, -1, 2])
    reached = np.array([-1, 3, 9, 1])
    assert choose("final", gap, reached, diverged) == 2
    assert choose("reach", gap, reached, diverged) == 2
    assert choose("reach", gap, np.array([-1, 3, -1, 1]), diverged) is None
    assert choose("final", gap, reached, np.array([0, 1, 2, 3])) is None
    # ties in steps go to the lower final gap, then to the smaller rate
    assert choose("reach", np.array([2.0, 1.0, 1.0]), np.array([5, 5, 5]),
                  np.array([-1, -1, -1])) == 1
    with pytest.raises(ValueError):
        choose("off", gap, reached, diverged)


def test_a_racer_whose_every_run_diverges_keeps_its_own_rate():
    """f = −exp(10(x² + y²)) from (1, 1): the first step of gradient descent leaves the
    box at every rate. A typed formula has no known minimum: f* is the grid's lowest f."""
    setup = Scene.of(surface="formula", formula="-exp(10*(x^2+y^2))", start=(1.0, 1.0),
                     racers=(Racer("sgd", (("learning_rate", 0.002),)),), tune="final",
                     steps=STEPS).setup
    tuning = tune(setup)
    (sweep,) = tuning.sweeps
    assert (sweep.diverged_at >= 0).all()
    assert sweep.chosen is None and sweep.learning_rate == 0.002
    assert tuned_setup(setup, tuning).racers == setup.racers
    assert not tuning.f_star_known and np.isfinite(tuning.f_star)


def test_the_choice_is_a_pure_function_of_the_setup_and_survives_its_link():
    """The tuned rates do not depend on the racers' own: tuning the tuned setup chooses
    them again; and the raced setup reads back from its cache key unchanged."""
    setup = quad("final")
    tuning = tuned(setup)
    raced = tuned_setup(setup, tuning)
    assert raced.tune == "off"
    assert setup_of(cache_key(raced, RACE)) == raced
    again = tune(Scene(raced).replace(tune="final").setup)
    assert [s.chosen for s in again.sweeps] == [s.chosen for s in tuning.sweeps]
    np.testing.assert_array_equal(again.sweeps[0].final_gap, tuning.sweeps[0].final_gap)
    assert setup_of(cache_key(setup, RACE)) == setup  # the link carries the tuning


def test_the_race_at_the_chosen_rates_ends_where_the_sweep_said():
    setup = quad("final")
    tuning = tuned(setup)
    race = compute_race(tuned_setup(setup, tuning))
    for sweep, run in zip(tuning.sweeps, race.runs, strict=True):
        assert run.hparams["learning_rate"] == sweep.learning_rate
        assert run.diverged_at is None
        np.testing.assert_allclose(run.final_loss - tuning.f_star,
                                   sweep.final_gap[sweep.chosen], rtol=1e-3, atol=1e-9)


def test_tuning_lrs_stay_inside_the_slider_range():
    for slug in OPTIMIZERS:
        spec = OPTIMIZERS[slug].hparams["learning_rate"]
        lrs = tuning_lrs(slug)
        assert all(spec.admits(v) for v in lrs), slug

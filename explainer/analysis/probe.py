"""The carry probe: is the true carry linearly readable from ``h_t`` at every timestep?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.analysis.exhaustive import exhaustive_states, weighted_mean
from explainer.byte_cache import byte_cache
from explainer.model.encoding import TRAINING_OPERAND_BITS
from explainer.model.network import RNNWeights, read_only

# The probe reads two different quantities depending on which state it looks at; each has one name everywhere.
PROBE_CARRY_IN = "probe's carry in"  # read from h_{t−1}: the carry arriving at column t (nothing at t = 0)
PROBE_CARRY_OUT = "probe's carry out"  # read from h_t: the carry leaving column t
PROBE_CARRY_IN_LABEL = f"{PROBE_CARRY_IN} (read from h_{{t−1}})"
PROBE_CARRY_OUT_LABEL = f"{PROBE_CARRY_OUT} (read from h_t)"

# When does the probe name "carry units"? Only when it actually reads the carry: at least this accurate at
# every timestep…
CARRY_PROBE_MIN_ACCURACY = 0.99
# …and then the units whose importance is at least this share of the largest (which must be above zero).
CARRY_UNIT_SHARE = 0.5
CARRY_UNIT_CRITERION = (
    f"the probe is at least {CARRY_PROBE_MIN_ACCURACY:.0%} accurate at every timestep, and a unit's importance "
    f"is at least {CARRY_UNIT_SHARE:g} × the largest"
)


@dataclass(frozen=True, eq=False)
class CarryProbe:
    """A linear read-out of the true carry-out from ``h_t``: carry ≈ ``h_t · coefficients + intercept ≥ ½``.

    Fitted by least squares on every timestep of all 16,384 training pairs of the intact network. One probe
    serves every timestep, so 100% accuracy at each step means the carry sits in the same place throughout.
    """

    coefficients: np.ndarray  # (H,)
    intercept: float
    accuracy: float  # over all 131,072 pair-steps
    accuracy_by_timestep: np.ndarray  # (T,) T = 8
    unit_importance: np.ndarray  # (H,) |coefficient| × the unit's standard deviation
    ranked_units: tuple[int, ...]  # every unit, most carry-tied first
    top_carry_units: tuple[int, ...]  # the carry units by CARRY_UNIT_CRITERION; () when the probe does not read it
    unit_mean: np.ndarray  # (H,) average activity: the natural value to clamp a unit to
    margin: float  # smallest distance of any score from the ½ threshold (how cleanly it separates)

    threshold: float = 0.5

    @property
    def reads_the_carry(self) -> bool:
        """Is the probe accurate enough at every timestep to name units (``CARRY_PROBE_MIN_ACCURACY``)?"""
        return bool(self.accuracy_by_timestep.min() >= CARRY_PROBE_MIN_ACCURACY)

    def carry_units_sentence(self) -> str:
        """Which units are named as carry units and why, or why none are: for captions."""
        if self.top_carry_units:
            units = ", ".join(str(unit) for unit in self.top_carry_units)
            return f"Carry units {units}: named because {CARRY_UNIT_CRITERION}."
        if not self.reads_the_carry:
            worst = int(np.argmin(self.accuracy_by_timestep))
            return (
                f"No carry units are named: the probe reads the carry on only "
                f"{self.accuracy_by_timestep[worst]:.1%} of pairs at t = {worst} (units are named only when "
                f"{CARRY_UNIT_CRITERION})."
            )
        return "No carry units are named: no unit moves the probe (every importance is 0)."

    def score(self, hidden: np.ndarray) -> np.ndarray:
        """Probe score for hidden states ``(…, H)`` → ``(…)``; ≥ 0.5 reads as carry 1."""
        hidden = np.asarray(hidden, dtype=np.float64)
        if hidden.shape[-1] != self.coefficients.shape[0]:
            raise ValueError(f"hidden states must end in {self.coefficients.shape[0]} units; got shape {hidden.shape}.")
        return hidden @ self.coefficients + self.intercept

    def decode(self, hidden: np.ndarray) -> np.ndarray:
        """The probe's carry bits for hidden states ``(…, H)`` (e.g. ``trace.hidden`` (T, H) → (T,)) as int8."""
        return (self.score(hidden) >= self.threshold).astype(np.int8)


def first_disagreement(decoded: np.ndarray, truth: np.ndarray) -> int | None:
    """The first timestep where two bit rows differ, or ``None`` if they agree everywhere."""
    decoded, truth = np.asarray(decoded), np.asarray(truth)
    if decoded.shape != truth.shape:
        raise ValueError(f"the rows must have the same shape; got {decoded.shape} and {truth.shape}.")
    differ = np.flatnonzero(decoded != truth)
    return int(differ[0]) if differ.size else None


def fit_readout(features: np.ndarray, target: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, float]:
    """Weighted least squares of ``target`` (M,) on ``features`` (M, k) and an intercept: ``(coefficients, intercept)``.

    The probe's fit, for any subspace of the state (the interchange table reads the carry from each alignment).
    """
    features = np.asarray(features, dtype=np.float64)
    design = np.column_stack([features, np.ones(len(features))])  # (M, k + 1): the last column is the intercept
    # Weighted least squares through its normal equations: (k + 1)² numbers to solve instead of an SVD of the
    # whole (M, k + 1) design (M ≈ 22,000). lstsq on them keeps the minimum-norm solution when units are
    # collinear (a unit stuck at 1 repeats the intercept), as lstsq on the design would. On the shipped network
    # the coefficients agree with the SVD's to 3e-12.
    weighted_design = design * np.asarray(weight, dtype=np.float64)[:, None]
    solution, *_ = np.linalg.lstsq(weighted_design.T @ design, weighted_design.T @ target, rcond=None)
    return solution[:-1], float(solution[-1])


def readout_accuracy(features: np.ndarray, target: np.ndarray, weight: np.ndarray) -> float:
    """Weighted accuracy of :func:`fit_readout`'s read-out thresholded at ½ (the probe's rule), on its own data."""
    target = np.asarray(target, dtype=np.float64)
    coefficients, intercept = fit_readout(features, target, weight)
    right = ((np.asarray(features) @ coefficients + intercept) >= 0.5) == (target == 1)
    return weighted_mean(right, np.asarray(weight, dtype=np.float64))


# A replay cycles through a run's checkpoints (about 15 for the fast recipe, up to 400): a probe is a few
# vectors of H numbers, so keeping hundreds costs little, where 8 made every frame of a long replay refit.
@byte_cache(4 * 2**20)  # ~2 kB at H = 16, ~6 kB at H = 64
def carry_probe(weights: RNNWeights) -> CarryProbe:
    """Fit the carry probe on all 16,384 training pairs of ``weights`` (cached per network)."""
    states = exhaustive_states(weights, TRAINING_OPERAND_BITS)
    hidden, weight = states.hidden, states.weight.astype(np.float64)
    target = states.carry_out.astype(np.float64)
    coefficients, intercept = fit_readout(hidden, target, weight)
    score = hidden @ coefficients + intercept
    right = (score >= 0.5) == (target == 1)
    by_step = np.array(
        [weighted_mean(right[states.level(t)], weight[states.level(t)]) for t in range(states.timesteps)]
    )
    mean = (hidden * weight[:, None]).sum(0) / weight.sum()
    spread = np.sqrt(((hidden - mean) ** 2 * weight[:, None]).sum(0) / weight.sum())
    importance = np.abs(coefficients) * spread
    ranked = tuple(int(unit) for unit in np.argsort(-importance, kind="stable"))
    reads = bool(by_step.min() >= CARRY_PROBE_MIN_ACCURACY)
    largest = float(importance.max())
    top = (
        tuple(unit for unit in ranked if importance[unit] >= CARRY_UNIT_SHARE * largest)
        if reads and largest > 0
        else ()
    )
    return CarryProbe(
        coefficients=read_only(coefficients),
        intercept=intercept,
        accuracy=weighted_mean(right, weight),
        accuracy_by_timestep=read_only(by_step),
        unit_importance=read_only(importance),
        ranked_units=ranked,
        top_carry_units=top,
        unit_mean=read_only(mean),
        margin=float(np.abs(score - 0.5).min()),
    )

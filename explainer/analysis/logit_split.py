"""The logit split: how much of the output logit at one timestep comes from the current bits and how much
from the state carried in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.model.ablation import Ablation
from explainer.model.network import RNNWeights, read_only, sigmoid
from explainer.model.trace import AdditionTrace


@dataclass(frozen=True)
class LogitSplit:
    """Where the output logit ``z_t = h_t · W_o`` at one timestep comes from (H units).

    Each free unit j contributes ``W_o[j] · σ(u_j + r_j)`` with ``u = x_t · W_x`` (the current bits) and
    ``r = h_{t-1} · W_h`` (what the state carried in). σ is not additive, so the split is the two-player
    Shapley value with nothing (0) as the reference: ``from_input`` is the average of what adding u changes
    with and without r, ``from_carried_state`` likewise for r. Per unit::

        baseline_j = W_o[j] · σ(0)                               (no input, no memory: ½ · W_o[j])
        from_input_j = ½[(f(u, 0) − f(0, 0)) + (f(u, r) − f(0, r))]
        from_carried_j = ½[(f(0, r) − f(0, 0)) + (f(u, r) − f(u, 0))]          f(u, r) = W_o[j] · σ(u + r)

    so ``baseline + from_input + from_carried_state = z_t`` exactly. Units held by an ablation contribute
    ``W_o[j] · value`` as ``from_ablation`` and nothing else. At t = 0, ``r = 0`` and nothing is carried.
    """

    timestep: int
    logit: float
    probability: float
    baseline: float
    from_input: float
    from_carried_state: float
    from_ablation: float
    unit_baseline: np.ndarray  # (H,)
    unit_from_input: np.ndarray  # (H,)
    unit_from_carried_state: np.ndarray  # (H,)
    unit_from_ablation: np.ndarray  # (H,)


def logit_split(
    weights: RNNWeights, trace: AdditionTrace, timestep: int, ablation: Ablation | None = None
) -> LogitSplit:
    """Split the output logit of ``trace`` at ``timestep`` into current bits versus carried-in state.

    ``ablation`` must be the one ``trace`` was made with (the trace does not record it).
    """
    if isinstance(timestep, bool) or not isinstance(timestep, int | np.integer) or not 0 <= timestep < trace.timesteps:
        raise ValueError(
            f"timestep must be 0–{trace.timesteps - 1} for this {trace.timesteps}-step trace; got {timestep!r}."
        )
    if trace.hidden_units != weights.hidden_units:
        raise ValueError(f"the trace has {trace.hidden_units} units but the weights have {weights.hidden_units}.")
    output_weights = weights.output_weights[:, 0]  # (H,)
    current = trace.input_part[timestep]  # (H,) u = x_t · W_x
    carried = trace.recurrent_part[timestep]  # (H,) r = h_{t-1} · W_h

    def contribution(input_term: np.ndarray, carried_term: np.ndarray) -> np.ndarray:
        return output_weights * sigmoid(input_term + carried_term)

    nothing = np.zeros_like(current)
    both, input_only = contribution(current, carried), contribution(current, nothing)
    carried_only, neither = contribution(nothing, carried), contribution(nothing, nothing)
    from_input = 0.5 * ((input_only - neither) + (both - carried_only))
    from_carried = 0.5 * ((carried_only - neither) + (both - input_only))
    baseline = neither
    held = np.zeros(weights.hidden_units, dtype=bool)
    from_ablation = np.zeros(weights.hidden_units)
    if ablation is not None:
        held, values = ablation.mask_and_values()
        from_ablation = np.where(held, output_weights * values, 0.0)
    baseline, from_input, from_carried = (np.where(held, 0.0, part) for part in (baseline, from_input, from_carried))
    logit = float(trace.output_logit[timestep])
    return LogitSplit(
        timestep=int(timestep),
        logit=logit,
        probability=float(trace.output_probability[timestep]),
        baseline=float(baseline.sum()),
        from_input=float(from_input.sum()),
        from_carried_state=float(from_carried.sum()),
        from_ablation=float(from_ablation.sum()),
        unit_baseline=read_only(baseline),
        unit_from_input=read_only(from_input),
        unit_from_carried_state=read_only(from_carried),
        unit_from_ablation=read_only(from_ablation),
    )

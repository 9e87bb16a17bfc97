"""The logit split: how much of the output logit at one timestep comes from the current bits and how much
from the state carried in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.analysis.exhaustive import exhaustive_states, weighted_mean
from explainer.byte_cache import byte_cache
from explainer.model.ablation import Ablation
from explainer.model.encoding import TRAINING_OPERAND_BITS
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


def _shapley_split(
    output_weights: np.ndarray, current: np.ndarray, carried: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per unit ``(baseline, from_input, from_carried_state)`` for ``u`` = ``current`` and ``r`` = ``carried``
    ``(…, H)``: the formulas of :class:`LogitSplit`, the one place they are computed."""

    def contribution(input_term: np.ndarray, carried_term: np.ndarray) -> np.ndarray:
        return output_weights * sigmoid(input_term + carried_term)

    nothing = np.zeros_like(current)
    both, input_only = contribution(current, carried), contribution(current, nothing)
    carried_only, neither = contribution(nothing, carried), contribution(nothing, nothing)
    from_input = 0.5 * ((input_only - neither) + (both - carried_only))
    from_carried = 0.5 * ((carried_only - neither) + (both - input_only))
    return neither, from_input, from_carried


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
    baseline, from_input, from_carried = _shapley_split(output_weights, current, carried)
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


@byte_cache(2**20)  # a float per network
def carried_part_turns_the_bit(weights: RNNWeights) -> float:
    """Over every column of the 16,384 7-bit pairs into which a carry comes (the intact network), the share in
    which the baseline and the bits' part alone give the wrong output bit and the whole logit gives the right
    one: the columns where adding the carried-in part changes the bit to the right one.

    In the rest, the bits' part alone already gives the right bit (or the network is wrong either way).
    """
    states = exhaustive_states(weights, TRAINING_OPERAND_BITS)
    parents = np.maximum(states.parent, 0)
    previous = np.where((states.parent >= 0)[:, None], states.hidden[parents], 0.0)  # (M, H) h_{t-1}; 0 at t = 0
    bits = np.stack([(states.symbol >> 1) & 1, states.symbol & 1], axis=1).astype(np.float64)  # (M, 2) a_t, b_t
    baseline, from_input, from_carried = _shapley_split(
        weights.output_weights[:, 0], bits @ weights.input_weights, previous @ weights.recurrent_weights
    )
    true_bit = states.true_bit.astype(bool)
    without_carried = (baseline + from_input).sum(axis=1) >= 0  # logit ≥ 0 ⇔ probability ≥ ½
    whole = (baseline + from_input + from_carried).sum(axis=1) >= 0
    turned = (without_carried != true_bit) & (whole == true_bit)
    carried_in = states.carry_in == 1
    return weighted_mean(turned[carried_in], states.weight[carried_in].astype(np.float64))


def split_sentences(split: LogitSplit) -> str:
    """What the split at one timestep shows, read off its numbers: which part is larger and its sign, and whether
    adding the carried-in part changes the bit that the baseline and the bits' part alone would give.

    Plain text (no Markdown). Arithmetic on the drawn bars only: it says nothing about what a unit does.
    """
    bit = int(split.logit >= 0)
    without_carried = split.baseline + split.from_input + split.from_ablation
    parts = f"baseline {split.baseline:+.2f}, current bits {split.from_input:+.2f}, carried-in state "
    parts += f"{split.from_carried_state:+.2f}"
    if split.from_ablation:
        parts += f", held units {split.from_ablation:+.2f}"
    sentences = [f"At t = {split.timestep}: {parts}; together {split.logit:+.2f}, so the bit is {bit}."]
    if split.timestep == 0:
        sentences.append("Nothing is carried into t = 0 (h_(−1) = 0), so the carried-in part is exactly 0.")
    if split.from_input == 0 and split.from_carried_state == 0:
        sentences.append("Both parts are 0 here: the output is the baseline alone.")
    else:
        larger = "current bits'" if abs(split.from_input) >= abs(split.from_carried_state) else "carried-in"
        sentences.append(f"The {larger} part is the larger in size.")
        if split.from_carried_state != 0:
            if int(without_carried >= 0) != bit:
                sentences.append(
                    f"Without the carried-in part the rest add up to {without_carried:+.2f} ({1 - bit}); adding it "
                    f"gives {bit}."
                )
            else:
                sentences.append(
                    f"Without the carried-in part the rest add up to {without_carried:+.2f}, which already gives {bit}."
                )
    return " ".join(sentences)

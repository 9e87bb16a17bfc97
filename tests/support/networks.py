"""Networks for tests that need weights other than the shipped ones."""

from __future__ import annotations

import numpy as np

from explainer.model.network import RNNWeights


def random_weights(hidden_units: int, seed: int) -> RNNWeights:
    """An untrained network of ``hidden_units`` units with standard-normal weights, the same for a given seed."""
    rng = np.random.default_rng(seed)
    return RNNWeights(
        rng.normal(size=(2, hidden_units)),
        rng.normal(size=(hidden_units, hidden_units)),
        rng.normal(size=(hidden_units, 1)),
    )


def carry_unit_machine(steep: float = 20.0, quench: float = 100.0) -> tuple[RNNWeights, dict[str, int]]:
    """Written addition wired by hand into the architecture (no biases), with the carry passed on in one unit.

    Units: C holds the carry out of column t (σ(steep·(a + b + carry − 1.5))); U1, U2, U3 are a + b + carry ≥ 1,
    2, 3 (the bit written is U1 − U2 + U3) and feed nothing forward; K+ = σ(a), K− = σ(−a) add up to 1 (the
    constant a network without biases lacks). Column 0 is the exception: h_{-1} = 0 gives it no constant, so no
    single unit can hold a AND b there; C, D = σ(a + b) and E = σ(2(a + b)) hold it together, and the next
    column reads the three with weights solved for that (F = σ(0) = ½ flags column 0). D, E and F are quenched
    to 0 from column 1 on. So from column 1 on, C is the only unit the future reads the carry from.
    The output weights are least squares to ±10 on every state of every 8-bit pair.
    """
    names = ("C", "D", "E", "F", "K+", "K-", "U1", "U2", "U3")
    unit = {name: index for index, name in enumerate(names)}
    c, d, e, f, k_plus, k_minus, u1, u2, u3 = range(len(names))
    input_w, recurrent_w = np.zeros((2, len(names))), np.zeros((len(names), len(names)))
    input_w[:, [c, u1, u2, u3]] = steep
    input_w[:, d], input_w[:, e] = 1.0, 2.0
    input_w[0, k_plus], input_w[0, k_minus] = 1.0, -1.0
    recurrent_w[np.ix_([k_plus, k_minus], [d, e, f])] = -quench
    sums = np.arange(3.0)
    # Read the carry into column 1 as steep × carry from h_0: C, D, E after column sums 0, 1, 2 and F = ½.
    c_first, d_first, e_first = 1 / (1 + np.exp(-steep * sums)), 1 / (1 + np.exp(-sums)), 1 / (1 + np.exp(-2 * sums))
    wanted = steep * np.array([0.0, 0.0, 1.0]) - steep * c_first
    read_d, read_e, read_f = np.linalg.solve(np.column_stack([d_first, e_first, np.full(3, 0.5)]), wanted)
    carry_read = {c: steep, d: read_d, e: read_e, f: read_f}  # steep × the carry arriving at the column
    for target, threshold in ((c, 1.5), (u1, 0.5), (u2, 1.5), (u3, 2.5)):
        for source, value in carry_read.items():
            recurrent_w[source, target] += value
        recurrent_w[[k_plus, k_minus], target] -= steep * threshold
    from explainer.model.encoding import all_pairs, encode_batch
    from explainer.model.network import forward

    inputs, targets = encode_batch(*all_pairs(8), 9)
    untrained = RNNWeights(input_w, recurrent_w, np.zeros((len(names), 1)))
    hidden = forward(untrained, inputs).hidden.reshape(-1, len(names))
    output_w, *_ = np.linalg.lstsq(hidden, 10.0 * (2 * targets.reshape(-1) - 1), rcond=None)
    return RNNWeights(input_w, recurrent_w, output_w[:, None]), unit


def copies_of(weights: RNNWeights, copies: int) -> RNNWeights:
    """``weights`` with every unit repeated ``copies`` times: each copy sees the same pre-activation (W_h is
    tiled and divided by ``copies``), so the wider network computes exactly the same bits with H·copies units."""
    return RNNWeights(
        np.tile(weights.input_weights, (1, copies)),
        np.tile(weights.recurrent_weights, (copies, copies)) / copies,
        np.tile(weights.output_weights, (copies, 1)) / copies,
    )

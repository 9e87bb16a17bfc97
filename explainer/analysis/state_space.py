"""The state space: a 2-D principal-component view of every hidden state over the training pairs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.analysis.exhaustive import exhaustive_states
from explainer.byte_cache import byte_cache
from explainer.model.encoding import TRAINING_OPERAND_BITS
from explainer.model.network import RNNWeights, read_only

# Above this the scatter only gets slower to send, not more informative.
MAX_STATE_SPACE_POINTS = 4000


@dataclass(frozen=True, eq=False)
class StateSpace:
    """A 2-D principal-component view of every ``h_t`` over all 16,384 training pairs (P plotted points).

    Points closer than about 1/150 of the plot's width that share a carry and a column sum are drawn once,
    with ``point_weight`` saying how many pair-steps they stand for.
    """

    mean: np.ndarray  # (H,) the centre the projection subtracts
    components: np.ndarray  # (2, H) unit-length principal directions
    explained_variance_ratio: np.ndarray  # (2,) share of the total variance along each direction
    points: np.ndarray  # (P, 2)
    point_carry: np.ndarray  # (P,) true carry out of the column just read
    point_column_sum: np.ndarray  # (P,) a_t + b_t + carry in: 0–3
    point_weight: np.ndarray  # (P,) pair-steps represented

    def project(self, hidden: np.ndarray) -> np.ndarray:
        """Project hidden states ``(…, H)`` to ``(…, 2)``; ``project(np.zeros(H))`` is where h_{-1} sits."""
        hidden = np.asarray(hidden, dtype=np.float64)
        if hidden.shape[-1] != self.mean.shape[0]:
            raise ValueError(f"hidden states must end in {self.mean.shape[0]} units; got shape {hidden.shape}.")
        return (hidden - self.mean) @ self.components.T

    def path(self, hidden: np.ndarray) -> np.ndarray:
        """One addition's route ``(T + 1, 2)``: h_{-1} = 0, then h_0 … h_{T-1} from a trace ``(T, H)``."""
        hidden = np.asarray(hidden, dtype=np.float64)
        return self.project(np.vstack([np.zeros((1, hidden.shape[-1])), hidden]))


@byte_cache(4 * 2**20)  # ~16 kB each
def state_space(weights: RNNWeights, max_points: int = MAX_STATE_SPACE_POINTS) -> StateSpace:
    """PCA of every hidden state of the intact network on the training pairs (cached per network)."""
    states = exhaustive_states(weights, TRAINING_OPERAND_BITS)
    hidden, weight = states.hidden, states.weight.astype(np.float64)
    mean = (hidden * weight[:, None]).sum(0) / weight.sum()
    centred = hidden - mean
    covariance = (centred * weight[:, None]).T @ centred / weight.sum()  # (H, H)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)  # ascending
    order = np.argsort(eigenvalues)[::-1][:2]
    components = eigenvectors[:, order].T  # (2, H), or (1, H) for a one-unit network
    # Fix each direction's sign (eigh's is arbitrary) so the picture does not flip between machines.
    signs = components[np.arange(order.size), np.abs(components).argmax(1)] < 0
    components *= np.where(signs, -1.0, 1.0)[:, None]
    ratio = eigenvalues[order] / max(float(eigenvalues.sum()), 1e-300)
    if order.size < 2:  # one unit has one direction: the second axis is flat, so the plot stays 2-D
        components = np.vstack([components, np.zeros_like(components)])
        ratio = np.append(ratio, 0.0)
    projected = centred @ components.T  # (M, 2)

    span = np.ptp(projected, axis=0).max() or 1.0
    cells = np.floor(projected / (span / 150)).astype(np.int64)
    keys = np.column_stack([cells, states.carry_out, states.column_sum])
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    represented = np.bincount(inverse.ravel(), weights=weight)
    if first.size > max_points:  # keep the most-visited cells; the rare ones are still there in the table
        keep = np.sort(np.argsort(-represented, kind="stable")[:max_points])
        first, represented = first[keep], represented[keep]
    return StateSpace(
        mean=read_only(mean),
        components=read_only(components),
        explained_variance_ratio=read_only(ratio),
        points=read_only(projected[first]),
        point_carry=read_only(states.carry_out[first]),
        point_column_sum=read_only(states.column_sum[first]),
        point_weight=read_only(represented.astype(np.int64)),
    )

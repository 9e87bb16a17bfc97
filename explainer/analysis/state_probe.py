"""The k-state probe: can the rule's state (borrow, carry 0–2, remainder, depth) be read off ``h_t``?

Addition's carry probe (:mod:`explainer.analysis.probe`) reads one bit with a least-squares line. A rule's state
can have more values, so this probe is a multinomial logistic regression (softmax over the state's values) on the
standardised ``h_t``, fitted by full-batch gradient descent in numpy, once per network (a shipped network's is read
from its file: :mod:`explainer.analysis.shipped_analyses`). It is fitted on half of the rule's training inputs
and scored on the other half (held out: inputs it was not fitted on), every column of each. For balanced
brackets the state is the depth, which has no bound: the probe knows only the depths its training strings reach,
so a deeper string's depth is read at best as the deepest it knows (``capped``).

A probe is a reading, not an intervention: it says the state can be read from ``h_t``, not that the network
uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explainer.analysis.shipped_analyses import shipped
from explainer.byte_cache import byte_cache
from explainer.model.network import RNNWeights, forward, read_only
from explainer.model.trace import rule_states
from explainer.rules import Rule

# Rows (input, column) drawn for each half: enough to fit 16 weights per value, small enough to fit in ~1 s.
PROBE_ROWS = 8_000
STEPS = 400  # gradient steps: the loss is convex, and 400 steps of this size settle it on every shipped network
LEARNING_RATE = 0.5
L2 = 1e-4  # a little weight decay keeps the fit finite when the values separate perfectly


@dataclass(frozen=True, eq=False)
class StateProbe:
    """A softmax read-out of the rule's state from ``h_t``: value = argmax(standardised h_t · W + b)."""

    rule: str
    state_called: str
    values: tuple[int, ...]  # the state values it can answer, in the order of its columns
    mean: np.ndarray  # (H,)
    scale: np.ndarray  # (H,)
    coefficients: np.ndarray  # (H, K)
    intercepts: np.ndarray  # (K,)
    fit_accuracy: float  # on the rows it was fitted on
    held_out_accuracy: float  # on rows of the other half of the inputs
    held_out_rows: int
    capped: bool  # the state has more values than the training inputs show (brackets' depth)

    def decode(self, hidden: np.ndarray) -> np.ndarray:
        """The state value the probe reads from each ``h_t`` of ``hidden (…, H)`` → ``(…)`` int."""
        scores = ((np.asarray(hidden) - self.mean) / self.scale) @ self.coefficients + self.intercepts
        return np.asarray(self.values)[np.argmax(scores, axis=-1)]

    def sentence(self) -> str:
        """What the probe is and how well it reads, for captions (plain text)."""
        words = (
            f"The probe's row is a multinomial logistic regression (softmax over the {len(self.values)} values of "
            f"the {self.state_called} it saw) on hₜ, fitted on half of the rule's training inputs; on the other half "
            f"it reads the {self.state_called} right at {self.held_out_accuracy:.1%} of {self.held_out_rows:,} "
            "columns it was not fitted on."
        )
        if self.capped:
            words += (
                f" It knows only the {self.state_called}s {min(self.values)} to {max(self.values)} (those the training "
                "strings reach): a deeper one it can at best read as the deepest it knows."
            )
        return words


def _rows(weights: RNNWeights, rule: Rule, inputs: np.ndarray, rng: np.random.Generator):
    """Up to ``PROBE_ROWS`` (h_t, state after column t) rows of ``inputs (N, T, W)``, drawn without replacement.

    The rows are drawn first and the network runs only on the inputs they come from (about 40% of three numbers'
    half training set): that forward pass was 85% of the probe's time (py-spy, ``bench/README.md``). The same rows
    and values as running every input, since each input's h_t does not depend on the others in the batch."""
    count, timesteps = inputs.shape[:2]
    chosen = np.arange(count * timesteps)
    if len(chosen) > PROBE_ROWS:
        chosen = rng.choice(len(chosen), PROBE_ROWS, replace=False)
    run, where = np.unique(chosen // timesteps, return_inverse=True)  # the inputs the rows come from
    hidden = forward(weights, inputs[run]).hidden  # (n, T, H)
    states = rule_states(rule, inputs[run])  # (n, T)
    columns = chosen % timesteps
    return hidden[where, columns], states[where, columns]


def _fit_softmax(features: np.ndarray, classes: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Gradient descent on the mean cross-entropy (+ L2 on the coefficients) of a softmax read-out; ``classes`` are
    0 … count − 1. Returns (coefficients (W, K), intercepts (K,)).

    Laid out class by row, (K, N), with the intercept as a last feature of ones: each step's max, exp and sum then run
    along contiguous rows in place, 3–4× faster than the (N, K) layout it replaced (the fit was most of a rule page's
    first view: bench/README.md), with the same iterates to rounding (~1e-16)."""
    rows, width = features.shape
    onehot = np.eye(count)[:, classes]  # (K, N)
    x = np.vstack([features.T, np.ones((1, rows))])  # (W + 1, N)
    x_rows = np.ascontiguousarray(x.T)  # (N, W + 1)
    theta = np.zeros((count, width + 1))  # (K, W + 1): coefficients, then the intercept
    decay = np.full((1, width + 1), L2)
    decay[0, -1] = 0.0  # no weight decay on the intercept
    scores = np.empty((count, rows))  # (K, N), reused by every step
    for _ in range(STEPS):
        np.matmul(theta, x, out=scores)
        scores -= scores.max(axis=0)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=0)  # the probabilities
        scores -= onehot
        scores /= rows  # the error, (K, N)
        theta -= LEARNING_RATE * (scores @ x_rows + decay * theta)
    return theta[:, :-1].T.copy(), theta[:, -1].copy()


@shipped("state_probe")
@byte_cache(2 * 2**20)
def state_probe(weights: RNNWeights, rule: Rule) -> StateProbe:
    """Fit the k-state probe of ``rule`` on ``weights`` (cached per network and rule) and score it held out."""
    inputs, _ = rule.training_set()  # (N, T, W) float32
    rng = np.random.default_rng(0)
    order = rng.permutation(len(inputs))
    fit_inputs, held_inputs = inputs[order[::2]], inputs[order[1::2]]
    fit_hidden, fit_states = _rows(weights, rule, fit_inputs, rng)
    held_hidden, held_states = _rows(weights, rule, held_inputs, rng)
    values = np.unique(fit_states)
    mean = fit_hidden.mean(axis=0)
    scale = np.maximum(fit_hidden.std(axis=0), 1e-6)  # a unit that never moves is left as it is
    classes = np.searchsorted(values, fit_states)
    coefficients, intercepts = _fit_softmax((fit_hidden - mean) / scale, classes, len(values))
    probe = StateProbe(
        rule=rule.name,
        state_called=rule.state_called,
        values=tuple(int(value) for value in values),
        mean=read_only(mean),
        scale=read_only(scale),
        coefficients=read_only(coefficients),
        intercepts=read_only(intercepts),
        fit_accuracy=0.0,
        held_out_accuracy=0.0,
        held_out_rows=len(held_states),
        capped=rule.machine is None,
    )
    return StateProbe(
        **{
            **probe.__dict__,
            "fit_accuracy": float((probe.decode(fit_hidden) == fit_states).mean()),
            "held_out_accuracy": float((probe.decode(held_hidden) == held_states).mean()),
        }
    )

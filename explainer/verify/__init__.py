"""Proof at every length: certify that the network writes written addition's bits on every input.

``python -m explainer.verify --model PATH`` either proves the property (and writes a certificate that
``python -m explainer.verify --check CERTIFICATE --model PATH`` re-checks), or finds the shortest input
the network gets wrong, with a bounded proof that nothing shorter fails. numpy only: no Keras, no page.
``python -m explainer.verify --rule NAME`` does the same for another finite rule of :mod:`explainer.rules`
(its shipped network by default), against the rule's machine: see :mod:`explainer.verify.rule_property`.
"""

from explainer.verify.property import PROPERTY, Counterexample, network_sum_bits

__all__ = ["PROPERTY", "Counterexample", "network_sum_bits"]

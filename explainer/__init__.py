"""The binary-addition RNN of the seed blog post: model, training, and the per-timestep trace.

This package never imports streamlit: the page (``streamlit_app.py``) composes what it provides.
"""

from explainer.files.keras_file import (
    SHIPPED_MODEL_COMMAND,
    SHIPPED_MODEL_PATH,
    ModelFileError,
    load_model,
    load_weights,
)
from explainer.model.accuracy import Accuracy, evaluate
from explainer.model.encoding import (
    MAX_OPERAND,
    all_pairs,
    bits_to_int,
    encode_batch,
    encode_pair,
    int_to_bits,
    parse_operand,
    timesteps_for,
    validate_operand,
)
from explainer.model.network import RNNWeights, build_model, forward
from explainer.model.trace import AdditionTrace, trace_addition

__all__ = [
    "MAX_OPERAND",
    "SHIPPED_MODEL_COMMAND",
    "SHIPPED_MODEL_PATH",
    "Accuracy",
    "AdditionTrace",
    "ModelFileError",
    "RNNWeights",
    "all_pairs",
    "bits_to_int",
    "build_model",
    "encode_batch",
    "encode_pair",
    "evaluate",
    "forward",
    "int_to_bits",
    "load_model",
    "load_weights",
    "parse_operand",
    "timesteps_for",
    "trace_addition",
    "validate_operand",
]

"""Tests of ``keras.metrics`` against values read off real Keras 3.15 (TF 2.21 backend).

Each case feeds its batches to ``update_state`` in order; the expected ``result()``
after every batch, and after ``reset_state``, were produced by running the same cases
through ``keras.metrics`` and are hard-coded here (no keras/tensorflow import).
"""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.keras import losses, metrics


def _close(actual, expected, rtol=1e-6, atol=1e-7):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64),
                               rtol=rtol, atol=atol)


def _update(metric, batch):
    y_true, y_pred, sample_weight = batch
    if y_pred is None:  # Mean / Sum take values
        metric.update_state(np.asarray(y_true, dtype=np.float32),
                            sample_weight=sample_weight)
    else:
        metric.update_state(np.asarray(y_true), np.asarray(y_pred, dtype=np.float32),
                            sample_weight=sample_weight)


# ---- inputs (the generator ran these same cases through Keras) ------------------
AUC_T1 = [
    1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0,
]
AUC_P1 = [
    0.0, 1.0, 0.5, 0.25125628140703515, 0.3, 0.3, 0.505, 0.553, 0.996, 0.793, 0.622,
    0.989, 0.215, 0.16, 0.613, 0.044,
]
AUC_T2 = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0]
AUC_P2 = [
    0.497, 0.248, 0.012, 0.192, 0.692, 0.201, 0.37, 0.004, 0.83, 0.154, 0.268, 0.88,
]
AUC_W2 = [1.02, 1.69, 1.28, 1.48, 0.18, 1.08, 1.02, 1.74, 0.72, 1.2, 0.12, 0.78]
AUC_L2 = [1.15, -0.38, 1.37, -0.13, 1.33, 2.88, -1.35, 0.41, -0.93, 0.25, -2.37, -1.16]
ML_T = [
    [0.0, 0.0, 1.0],
    [0.0, 0.0, 1.0],
    [1.0, 0.0, 0.0],
    [1.0, 0.0, 0.0],
    [0.0, 1.0, 0.0],
    [1.0, 1.0, 0.0],
    [1.0, 1.0, 0.0],
    [1.0, 1.0, 1.0],
]
ML_P = [
    [0.57, 0.15, 0.19],
    [0.93, 0.55, 0.18],
    [0.88, 0.64, 0.57],
    [0.38, 0.41, 0.24],
    [0.04, 0.88, 0.47],
    [0.55, 0.32, 0.75],
    [0.03, 0.37, 0.03],
    [0.12, 0.97, 0.66],
]
CAT_T = [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
CAT_P = [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0], [0.4, 0.4, 0.2], [0.3, 0.3, 0.4]]
CAT_P2 = [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.7, 0.2, 0.1], [0.1, 0.8, 0.1]]
REG_T = [[0.0, 1.0, 2.0], [1.0, -1.0, 0.5]]
REG_P = [[0.5, 0.7, 2.9], [1.2, -2.5, 0.0]]
METRIC_CASES = [
    (
        "mean", "Mean", {},
        [
            ([1.0, 3.0, 5.0, 7.0], None, None), ([2.0, 4.0], None, None),
            (10.0, None, None),
        ],
    ),
    (
        "mean_weighted", "Mean", {},
        [
            ([1.0, 3.0, 5.0, 7.0], None, [1.0, 1.0, 0.0, 0.5]),
            ([[1.0, 2.0], [3.0, 4.0]], None, [2.0, 0.5]),
            ([[1.0, 2.0], [3.0, 4.0]], None, [[1.0, 0.0], [0.5, 2.0]]),
            ([2.0, 4.0], None, 3.0),
        ],
    ),
    (
        "sum", "Sum", {},
        [
            ([1.0, 3.0, 5.0, 7.0], None, None),
            ([[1.0, 2.0], [3.0, 4.0]], None, [2.0, 0.5]),
        ],
    ),
    (
        "accuracy", "Accuracy", {},
        [
            ([[1], [2], [3], [4]], [[0], [2], [3], [4]], None),
            ([1, 2, 3], [1.0, 2.5, 3.0], [1.0, 2.0, 0.5]),
        ],
    ),
    (
        "binary_accuracy", "BinaryAccuracy", {},
        [
            ([[1], [1], [0], [0]], [[0.98], [1.0], [0.0], [0.6]], None),
            ([1.0, 0.0, 1.0], [0.5, 0.2, 0.51], [1.0, 3.0, 0.5]),
            ([1.0, 0.0, 1.0, 1.0], [[0.7], [0.8], [0.1], [0.9]], None),
        ],
    ),
    (
        "binary_accuracy_threshold", "BinaryAccuracy", {"threshold": 0.7},
        [
            ([[1.0, 0.0], [1.0, 1.0]], [[0.75, 0.2], [0.7, 0.9]], None),
            ([[1.0, 0.0], [1.0, 1.0]], [[0.75, 0.8], [0.6, 0.9]], [0.25, 1.0]),
        ],
    ),
    (
        "categorical_accuracy", "CategoricalAccuracy", {},
        [(CAT_T, CAT_P, None), (CAT_T, CAT_P2, [1.0, 0.5, 2.0, 0.0])],
    ),
    (
        "sparse_categorical_accuracy", "SparseCategoricalAccuracy", {},
        [
            ([[2], [1], [0], [1]], CAT_P, None),
            ([2, 1, 0, 1], CAT_P2, [1.0, 0.5, 2.0, 0.0]),
        ],
    ),
    (
        "top_k", "TopKCategoricalAccuracy", {"k": 2},
        [(CAT_T, CAT_P, None), (CAT_T, CAT_P2, [1.0, 0.5, 2.0, 0.0])],
    ),
    (
        "sparse_top_k", "SparseTopKCategoricalAccuracy", {"k": 1},
        [([2, 1, 0, 1], CAT_P, None), ([[2], [1], [0], [1]], CAT_P2, None)],
    ),
    (
        "mse", "MeanSquaredError", {},
        [
            (REG_T, REG_P, None), (REG_T, REG_P, [0.5, 2.0]),
            ([1.0, 0.0, 2.0], [[0.5], [0.2], [2.5]], None),
        ],
    ),
    (
        "mae", "MeanAbsoluteError", {},
        [(REG_T, REG_P, None), (REG_T, REG_P, [0.5, 2.0])],
    ),
    (
        "rmse", "RootMeanSquaredError", {},
        [(REG_T, REG_P, None), (REG_T, REG_P, [0.5, 2.0])],
    ),
    (
        "bce", "BinaryCrossentropy", {},
        [
            ([[0.0, 1.0], [1.0, 1.0]], [[0.1, 0.8], [0.6, 0.95]], None),
            ([[1.0, 0.0]], [[0.0, 1.0]], None),
        ],
    ),
    (
        "bce_logits", "BinaryCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        [([[0.0, 1.0], [1.0, 1.0]], [[-2.0, 1.5], [0.3, 3.1]], [1.0, 0.5])],
    ),
    (
        "cce", "CategoricalCrossentropy", {},
        [(CAT_T, CAT_P, None), (CAT_T, CAT_P2, None)],
    ),
    (
        "scce_logits", "SparseCategoricalCrossentropy", {"from_logits": True},
        [([2, 1, 0, 1], CAT_P, [1.0, 0.5, 2.0, 0.0])],
    ),
    (
        "true_positives", "TruePositives", {},
        [(AUC_T1, AUC_P1, None), (AUC_T2, AUC_P2, AUC_W2)],
    ),
    (
        "false_positives", "FalsePositives", {"thresholds": [0.15, 0.5, 0.85]},
        [(AUC_T1, AUC_P1, None), (AUC_T2, AUC_P2, AUC_W2)],
    ),
    (
        "true_negatives", "TrueNegatives", {},
        [(AUC_T1, AUC_P1, None), (AUC_T2, AUC_P2, None)],
    ),
    (
        "false_negatives", "FalseNegatives", {"thresholds": [0.0, 0.5, 1.0]},
        [(AUC_T1, AUC_P1, None), (AUC_T2, AUC_P2, AUC_W2)],
    ),
    ("precision", "Precision", {}, [(AUC_T1, AUC_P1, None), (AUC_T2, AUC_P2, AUC_W2)]),
    (
        "precision_thresholds", "Precision", {"thresholds": [0.2, 0.3, 0.7]},
        [(AUC_T1, AUC_P1, None), (AUC_T2, AUC_P2, AUC_W2)],
    ),
    (
        "precision_even_thresholds", "Precision",
        {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]},
        [(AUC_T1, AUC_P1, None), (AUC_T2, AUC_P2, AUC_W2)],
    ),
    (
        "precision_top_k", "Precision", {"top_k": 2},
        [(CAT_T, CAT_P, None), (CAT_T, CAT_P2, [1.0, 0.5, 2.0, 0.0])],
    ),
    (
        "precision_class_id", "Precision", {"class_id": 1},
        [(CAT_T, CAT_P, None), (CAT_T, CAT_P2, None)],
    ),
    ("recall", "Recall", {}, [(AUC_T1, AUC_P1, None), (AUC_T2, AUC_P2, AUC_W2)]),
    (
        "recall_thresholds", "Recall", {"thresholds": [0.3, 0.5]},
        [
            ([[0.0], [1.0], [1.0], [1.0]], [[0.4], [0.2], [0.7], [0.5]], None),
            (AUC_T2, AUC_P2, AUC_W2),
        ],
    ),
    (
        "recall_top_k_class", "Recall", {"top_k": 1, "class_id": 2},
        [(CAT_T, CAT_P, None), (CAT_T, CAT_P2, None)],
    ),
    (
        "auc", "AUC", {},
        [(AUC_T1, AUC_P1, None), (AUC_T2, AUC_P2, None), (AUC_T2, AUC_P2, AUC_W2)],
    ),
    ("auc_single", "AUC", {}, [([0.0, 0.0, 1.0, 1.0], [0.1, 0.4, 0.35, 0.8], None)]),
    (
        "auc_logits", "AUC", {"from_logits": True},
        [(AUC_T2, AUC_L2, None), (AUC_T2, AUC_L2, AUC_W2)],
    ),
    (
        "auc_pr", "AUC", {"curve": "PR"},
        [(AUC_T1, AUC_P1, None), (AUC_T2, AUC_P2, AUC_W2)],
    ),
    (
        "auc_pr_majoring", "AUC", {"curve": "PR", "summation_method": "majoring"},
        [(AUC_T1, AUC_P1, None), (AUC_T2, AUC_P2, None)],
    ),
    (
        "auc_minoring", "AUC", {"summation_method": "minoring", "num_thresholds": 11},
        [(AUC_T1, AUC_P1, None), (AUC_T2, AUC_P2, AUC_W2)],
    ),
    ("auc_prgain", "AUC", {"curve": "PRGAIN"}, [(AUC_T1, AUC_P1, None)]),
    (
        "auc_thresholds", "AUC", {"thresholds": [0.3, 0.1, 0.6]},
        [(AUC_T1, AUC_P1, None), (AUC_T2, AUC_P2, AUC_W2)],
    ),
    (
        "auc_even_thresholds", "AUC", {"thresholds": [0.25, 0.5, 0.75]},
        [(AUC_T1, AUC_P1, None), (AUC_T2, AUC_P2, AUC_W2)],
    ),
    (
        "auc_multi_label", "AUC", {"multi_label": True},
        [(ML_T, ML_P, None), (ML_T, ML_P, [1.0, 2.0, 0.5, 1.0, 1.0, 0.0, 1.5, 1.0])],
    ),
    (
        "auc_multi_label_weights", "AUC",
        {"multi_label": True, "label_weights": [0.2, 0.5, 1.0], "num_labels": 3},
        [(ML_T, ML_P, None)],
    ),
    (
        "auc_flat_label_weights", "AUC", {"label_weights": [0.2, 0.5, 1.0]},
        [(ML_T, ML_P, None)],
    ),
    ("auc_2d_flattened", "AUC", {"num_thresholds": 50}, [(ML_T, ML_P, None)]),
    (
        "cosine_similarity", "CosineSimilarity", {},
        [(REG_T, REG_P, None), (REG_T, REG_P, [0.5, 2.0])],
    ),
    (
        "cosine_similarity_axis0", "CosineSimilarity", {"axis": 0},
        [(REG_T, REG_P, None)],
    ),
    ("logcosh", "LogCoshError", {}, [(REG_T, REG_P, None), (REG_T, REG_P, [0.5, 2.0])]),
    ("mape", "MeanAbsolutePercentageError", {}, [(REG_T, REG_P, None)]),
    ("msle", "MeanSquaredLogarithmicError", {}, [(REG_T, REG_P, None)]),
    ("kld", "KLDivergence", {}, [(CAT_T, CAT_P, None), (CAT_T, CAT_P2, None)]),
    ("poisson", "Poisson", {}, [(CAT_T, CAT_P2, [1.0, 0.5, 2.0, 0.0])]),
    (
        "hinge", "Hinge", {},
        [([[0.0, 1.0], [1.0, 1.0]], [[0.3, 0.8], [1.0, 0.5]], None)],
    ),
    (
        "squared_hinge", "SquaredHinge", {},
        [([[0.0, 1.0], [1.0, 1.0]], [[0.3, 0.8], [1.0, 0.5]], None)],
    ),
    ("categorical_hinge", "CategoricalHinge", {}, [(CAT_T, CAT_P, None)]),
]

# ---- Keras's results after each batch, and after reset_state ---------------------
METRIC_EXPECTED = {
    "mean": ([4.0, 3.66666675, 4.57142878], 0.0),
    "mean_weighted": ([3.0, 2.45000005, 2.59259248, 2.71794868], 0.0),
    "sum": ([16.0, 25.5], 0.0),
    "accuracy": ([0.75, 0.600000024], 0.0),
    "binary_accuracy": ([0.75, 0.764705896, 0.680000007], 0.0),
    "binary_accuracy_threshold": ([0.75, 0.653846145], 0.0),
    "categorical_accuracy": ([0.5, 0.666666687], 0.0),
    "sparse_categorical_accuracy": ([0.5, 0.666666687], 0.0),
    "top_k": ([1.0, 1.0], 0.0),
    "sparse_top_k": ([0.5, 0.625], 0.0),
    "mse": ([0.61500001, 0.692222238, 0.487333328], 0.0),
    "mae": ([0.649999976, 0.677777767], 0.0),
    "rmse": ([0.784219384, 0.831998944], 0.0),
    "bce": ([0.222655743, 5.4918499], 0.0),
    "bce_logits": ([0.295850307], 0.0),
    "cce": ([0.745621741, 0.682428181], 0.0),
    "scce_logits": ([0.948797643], 0.0),
    "true_positives": ([3.0, 4.68000031], 0.0),
    "false_positives": ([[6.0, 5.0, 1.0], [9.90999985, 5.0, 1.0]], [0.0, 0.0, 0.0]),
    "true_negatives": ([1.0, 6.0], 0.0),
    "false_negatives": (
        [[1.0, 7.0, 10.0], [1.0, 12.4399996, 17.1199989]], [0.0, 0.0, 0.0],
    ),
    "precision": ([0.375, 0.483471096], 0.0),
    "precision_thresholds": (
        [[0.615384638, 0.444444448, 0.5], [0.545639932, 0.526729584, 0.636363626]],
        [0.0, 0.0, 0.0],
    ),
    "precision_even_thresholds": (
        [
            [0.600000024, 0.583333313, 0.375, 0.5, 0.0],
            [0.590259969, 0.61237371, 0.483471096, 0.636363626, 0.0],
        ],
        [0.0, 0.0, 0.0, 0.0, 0.0],
    ),
    "precision_top_k": ([0.375, 0.433333337], 0.0),
    "precision_class_id": ([0.5, 0.666666687], 0.0),
    "recall": ([0.300000012, 0.273364514], 0.0),
    "recall_thresholds": (
        [[0.666666687, 0.333333343], [0.464426875, 0.264822155]], [0.0, 0.0],
    ),
    "recall_top_k_class": ([0.0, 0.5], 0.0),
    "auc": ([0.275000006, 0.465240657, 0.480221957], 0.0),
    "auc_single": ([0.75], 0.0),
    "auc_logits": ([0.342857122, 0.287261516], 0.0),
    "auc_pr": ([0.519814968, 0.568450391], 0.0),
    "auc_pr_majoring": ([0.550073862, 0.621054888], 0.0),
    "auc_minoring": ([0.266666681, 0.345263004], 0.0),
    "auc_prgain": ([-0.169394836], 0.0),
    "auc_thresholds": ([0.216666669, 0.398905277], 0.0),
    "auc_even_thresholds": ([0.300000012, 0.478601873], 0.0),
    "auc_multi_label": ([0.452777773, 0.449828833], 0.0),
    "auc_multi_label_weights": ([0.458333313], 0.0),
    "auc_flat_label_weights": ([0.509868383], 0.0),
    "auc_2d_flattened": ([0.496527791], 0.0),
    "cosine_similarity": ([0.925245225, 0.913331151], 0.0),
    "cosine_similarity_axis0": ([0.921598256], 0.0),
    "logcosh": ([0.253284752, 0.279459], 0.0),
    "mape": ([83333400.0], 0.0),
    "msle": ([0.0721891895], 0.0),
    "kld": ([0.598672509, 0.608952105], 0.0),
    "poisson": ([0.524617374], 0.0),
    "hinge": ([0.5], 0.0),
    "squared_hinge": ([0.494999945], 0.0),
    "categorical_hinge": ([0.824999928], 0.0),
}


@pytest.mark.parametrize("case", METRIC_CASES, ids=[c[0] for c in METRIC_CASES])
def test_metric_matches_keras_over_batches(case):
    mid, cls_name, kwargs, batches = case
    expected, after_reset = METRIC_EXPECTED[mid]
    rtol = 1e-5 if cls_name == "AUC" else 1e-6
    metric = getattr(metrics, cls_name)(**kwargs)
    for batch, want in zip(batches, expected):
        _update(metric, batch)
        result = metric.result()
        assert isinstance(result, tf.Tensor)
        assert result.dtype == tf.float32
        assert tuple(result.shape) == np.shape(want)
        _close(result.numpy(), want, rtol=rtol)
    metric.reset_state()
    _close(metric.result().numpy(), after_reset)
    _update(metric, batches[0])  # the state starts afresh after a reset
    _close(metric.result().numpy(), expected[0], rtol=rtol)


# ---- behaviour -----------------------------------------------------------------------
def test_default_names():
    names = {
        metrics.Mean: "mean", metrics.Sum: "sum", metrics.Accuracy: "accuracy",
        metrics.BinaryAccuracy: "binary_accuracy",
        metrics.CategoricalAccuracy: "categorical_accuracy",
        metrics.SparseCategoricalAccuracy: "sparse_categorical_accuracy",
        metrics.MeanSquaredError: "mean_squared_error",
        metrics.MeanAbsoluteError: "mean_absolute_error",
        metrics.RootMeanSquaredError: "root_mean_squared_error",
        metrics.BinaryCrossentropy: "binary_crossentropy",
    }
    for cls, name in names.items():
        assert cls().name == name
    # Unnamed AUC/Precision/Recall get unique names, as in Keras: auc, auc_1, ...
    first, second = metrics.AUC(), metrics.AUC()
    assert first.name.startswith("auc") and second.name.startswith("auc_")
    assert first.name != second.name
    assert metrics.Precision(name="precision").name == "precision"
    assert metrics.Recall().name.startswith("recall")
    assert repr(metrics.Mean()) == "<Mean name=mean>"


def test_variables_are_non_trainable_tf_variables():
    m = metrics.Mean()
    assert [v.name for v in m.variables] == ["total", "count"]
    assert [v.path for v in m.variables] == ["mean/total", "mean/count"]
    assert all(isinstance(v, tf.Variable) and not v.trainable for v in m.variables)
    auc = metrics.AUC(num_thresholds=7)
    assert [tuple(v.shape) for v in auc.variables] == [(7,)] * 4
    assert [v.name for v in auc.variables] == [
        "true_positives", "false_positives", "true_negatives", "false_negatives"]
    assert [v.name for v in metrics.Precision().variables] == [
        "true_positives", "false_positives"]
    assert [v.name for v in metrics.Recall().variables] == [
        "true_positives", "false_negatives"]
    multi = metrics.AUC(multi_label=True)
    assert multi.variables == []  # built on the first batch
    multi.update_state([[0.0, 1.0]], [[0.2, 0.9]])
    assert [tuple(v.shape) for v in multi.variables] == [(200, 2)] * 4


def test_call_updates_and_returns_result():
    m = metrics.BinaryAccuracy()
    _close(m([1.0, 0.0], [0.9, 0.9]).numpy(), 0.5)
    _close(m([1.0, 1.0], [0.9, 0.9]).numpy(), 0.75)


def test_empty_metric_result_is_zero():
    for m in (metrics.Mean(), metrics.Accuracy(), metrics.AUC(), metrics.Precision(),
              metrics.Recall(), metrics.MeanSquaredError()):
        _close(m.result().numpy(), 0.0)


def test_update_inside_gradient_tape_does_not_disturb_training():
    w = tf.Variable([[0.5], [-0.25]])
    x = tf.constant([[1.0, 2.0], [3.0, 1.0]])
    y = tf.constant([[1.0], [0.0]])
    acc, mean_loss, auc = metrics.BinaryAccuracy(), metrics.Mean(), metrics.AUC()
    with tf.GradientTape(persistent=True) as tape:
        pred = tf.sigmoid(tf.matmul(x, w))
        loss = losses.BinaryCrossentropy()(y, pred)
        acc_value = acc(y, pred)
        mean_loss.update_state(loss)
        auc.update_state(y, pred)
    grad = tape.gradient(loss, w)
    assert grad is not None and np.all(np.isfinite(grad.numpy()))
    # The metric's inputs were cut from the tape: its value does not depend on w.
    assert tape.gradient(acc_value, w) is None
    for m in (acc, mean_loss, auc):
        assert all(not v.trainable for v in m.variables)
    _close(mean_loss.result().numpy(), loss.numpy())


def test_mean_metric_wrapper_and_custom_metric():
    wrapper = metrics.MeanMetricWrapper(losses.mean_absolute_error, name="mae_w")
    wrapper.update_state([[1.0, 2.0]], [[2.0, 4.0]])
    _close(wrapper.result().numpy(), 1.5)
    assert wrapper.get_config()["fn"]["config"] == "mean_absolute_error"
    again = metrics.MeanMetricWrapper.from_config(wrapper.get_config())
    assert again._fn is losses.mean_absolute_error and again.name == "mae_w"

    class Positives(metrics.Metric):
        def __init__(self, name="positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            positive = tf.cast(tf.greater(y_pred, 0.5), "float32")
            self.count.assign_add(tf.reduce_sum(positive))

        def result(self):
            return tf.convert_to_tensor(self.count)

    p = Positives()
    p.update_state(None, tf.constant([0.2, 0.7, 0.9]))
    _close(p.result().numpy(), 2.0)
    p.reset_state()
    _close(p.result().numpy(), 0.0)
    assert p.get_config() == {"name": "positives", "dtype": "float32"}

    class Forgot(metrics.Metric):
        def __init__(self):
            self.x = self.add_variable((), "zeros")

    with pytest.raises(RuntimeError, match="super"):
        Forgot()


def test_nested_metric_variables_are_tracked():
    class Pair(metrics.Metric):
        def __init__(self):
            super().__init__(name="pair")
            self.a = metrics.Mean(name="a")
            self.b = metrics.Sum(name="b")

    assert len(Pair().variables) == 3


def test_configs_match_keras():
    assert metrics.Mean().get_config() == {"name": "mean", "dtype": "float32"}
    assert metrics.BinaryAccuracy(threshold=0.7).get_config() == {
        "name": "binary_accuracy", "dtype": "float32", "threshold": 0.7}
    assert metrics.AUC(name="auc").get_config() == {
        "name": "auc", "dtype": "float32", "num_thresholds": 200, "curve": "ROC",
        "summation_method": "interpolation", "multi_label": False, "num_labels": None,
        "label_weights": None, "from_logits": False}
    assert metrics.Precision(name="precision").get_config() == {
        "name": "precision", "dtype": "float32", "thresholds": None, "top_k": None,
        "class_id": None}
    auc = metrics.AUC(name="a", thresholds=[0.5, 0.25], curve="PR")
    again = metrics.AUC.from_config(auc.get_config())
    assert again.get_config() == auc.get_config()
    assert auc.thresholds[1:-1] == [0.25, 0.5]
    assert metrics.AUC().thresholds[0] == pytest.approx(-1e-7)
    assert len(metrics.AUC().thresholds) == 200


def test_get_resolves_names_like_keras():
    assert isinstance(metrics.get("mse"), metrics.MeanSquaredError)
    assert isinstance(metrics.get("mae"), metrics.MeanAbsoluteError)
    assert isinstance(metrics.get("binary_accuracy"), metrics.BinaryAccuracy)
    assert isinstance(metrics.get("categorical_accuracy"), metrics.CategoricalAccuracy)
    assert isinstance(metrics.get("sparse_categorical_accuracy"),
                      metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.get("auc"), metrics.AUC)
    assert isinstance(metrics.get("precision"), metrics.Precision)
    assert isinstance(metrics.get("recall"), metrics.Recall)
    assert isinstance(metrics.get("Precision"), metrics.Precision)
    assert isinstance(metrics.get("accuracy"), metrics.Accuracy)
    assert isinstance(metrics.get("binary_crossentropy"), metrics.BinaryCrossentropy)
    cfg = {"class_name": "BinaryAccuracy", "config": {"threshold": 0.3}}
    assert metrics.get(cfg).threshold == 0.3
    m = metrics.AUC()
    assert metrics.get(m) is m and metrics.get(None) is None
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    with pytest.raises(ValueError, match="Could not interpret metric identifier"):
        metrics.get("no_such_metric")


def test_metric_functions():
    pred = [[0.3, 0.7], [0.2, 0.8]]
    _close(metrics.binary_accuracy([[1.0], [0.0]], [[0.6], [0.6]]).numpy(),
           [[1.0], [0.0]])  # one value per element: no reduction
    _close(metrics.categorical_accuracy([[0, 1], [1, 0]], pred).numpy(), [1.0, 0.0])
    _close(metrics.sparse_categorical_accuracy([1, 0], pred).numpy(), [1.0, 0.0])
    _close(metrics.top_k_categorical_accuracy([[1, 0], [1, 0]], pred, k=1).numpy(),
           [0.0, 0.0])
    assert metrics.mean_squared_error is losses.mean_squared_error


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match="Threshold values must be in"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="XYZ")
    with pytest.raises(ValueError, match="num_labels"):
        metrics.AUC(num_labels=3)
    with pytest.raises(ValueError, match="class_id"):
        metrics.Precision(class_id=1).update_state([1.0, 0.0], [0.7, 0.2])


def test_every_metric_round_trips_its_config():
    for cls in metrics.ALL_OBJECTS:
        if cls in (metrics.Metric, metrics.MeanMetricWrapper):
            continue
        metric = cls()
        again = cls.from_config(metric.get_config())
        assert type(again) is cls and again.get_config() == metric.get_config()
        assert metrics.deserialize(metrics.serialize(metric)).get_config() == \
            metric.get_config()

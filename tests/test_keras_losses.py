"""Tests of ``keras.losses`` against values read off real Keras 3.15 (TF 2.21 backend).

The expected numbers below were produced by running the same cases through
``keras.losses`` in a Keras 3 environment and are hard-coded here; the tests never
import keras or tensorflow.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.keras import losses

RTOL = 1e-6
ATOL = 1e-7  # losses of a few 1e-7 (clipped probabilities) may differ in one ulp


def _arr(value, dtype):
    a = np.asarray(value)
    return a.astype(dtype) if a.dtype.kind == "f" else a


def _close(actual, expected, rtol=RTOL, atol=ATOL):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64),
                               rtol=rtol, atol=atol)


# ---- inputs (the generator ran these same cases through Keras) ------------------
A_T = [[0.0, 1.0, 2.0], [1.0, -1.0, 0.5]]
A_P = [[0.5, 0.7, 2.9], [1.2, -2.5, 0.0]]
V_T = [1.0, 0.0, 2.0, 3.0]
V_P = [[0.5], [0.2], [2.5], [1.0]]
B_T = [[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]
B_P = [[0.1, 0.8], [0.6, 0.95], [0.4, 0.02]]
B_L = [[-2.3, 1.4], [0.0, 3.1], [-0.5, -4.0]]
B_X_T = [[1.0, 0.0, 1.0, 0.0]]
B_X_P = [[0.0, 1.0, 1.0, 0.0]]
B1_T = [1.0, 0.0, 1.0, 1.0]
B1_P = [0.9, 0.2, 0.6, 0.4]
C_T = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
C_P = [[0.05, 0.9, 0.05], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]]
C_U = [[2.0, 1.0, 1.0], [0.5, 0.5, 3.0], [1.0, 0.0, 0.0]]
C_L = [[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0], [0.2, 0.2, 0.2]]
C_X_T = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
C_X_P = [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
S_T = [1, 2, 0]
S_T2 = [[1], [2], [0]]
SW3 = [0.5, 1.0, 2.0]
SW2 = [0.5, 2.0]
H_T = [[0.0, 1.0, 2.0], [1.0, 0.0, -1.0]]
H_P = [[0.3, 3.0, 1.2], [1.1, -0.4, 1.5]]
P_T = [[1.0, 0.0, 2.0], [0.5, 3.0, 1.0]]
P_P = [[0.8, 0.1, 1.5], [0.6, 2.0, 1.3]]
HI_T = [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]]
HI_P = [[0.3, -0.2, 1.4], [0.6, 0.4, -1.2]]
CLASS_CASES = [
    ("mse", "MeanSquaredError", {}, A_T, A_P, None, "float32"),
    ("mse_sw", "MeanSquaredError", {}, A_T, A_P, SW2, "float32"),
    ("mse_sw_scalar", "MeanSquaredError", {}, A_T, A_P, 2.0, "float32"),
    ("mse_sw_col", "MeanSquaredError", {}, A_T, A_P, [[0.5], [2.0]], "float32"),
    ("mse_sum", "MeanSquaredError", {"reduction": "sum"}, A_T, A_P, SW2, "float32"),
    ("mse_none", "MeanSquaredError", {"reduction": "none"}, A_T, A_P, None, "float32"),
    ("mse_none_sw", "MeanSquaredError", {"reduction": None}, A_T, A_P, SW2, "float32"),
    (
        "mse_mean_sw", "MeanSquaredError", {"reduction": "mean_with_sample_weight"},
        A_T, A_P, SW2, "float32",
    ),
    ("mse_vec_col", "MeanSquaredError", {}, V_T, V_P, None, "float32"),
    (
        "mse_vec_col_sw", "MeanSquaredError", {}, V_T, V_P, [1.0, 2.0, 0.0, 1.0],
        "float32",
    ),
    ("mse_f64", "MeanSquaredError", {}, A_T, A_P, SW2, "float64"),
    (
        "mse_dtype64", "MeanSquaredError", {"dtype": "float64"}, A_T, A_P, None,
        "float64",
    ),
    ("mae", "MeanAbsoluteError", {}, A_T, A_P, None, "float32"),
    ("mae_sw_sum", "MeanAbsoluteError", {"reduction": "sum"}, A_T, A_P, SW2, "float32"),
    ("mae_none", "MeanAbsoluteError", {"reduction": "none"}, V_T, V_P, None, "float32"),
    ("mae_f64", "MeanAbsoluteError", {}, V_T, V_P, None, "float64"),
    ("bce", "BinaryCrossentropy", {}, B_T, B_P, None, "float32"),
    ("bce_sw", "BinaryCrossentropy", {}, B_T, B_P, SW3, "float32"),
    (
        "bce_ls", "BinaryCrossentropy", {"label_smoothing": 0.2}, B_T, B_P, None,
        "float32",
    ),
    (
        "bce_logits", "BinaryCrossentropy", {"from_logits": True}, B_T, B_L, None,
        "float32",
    ),
    (
        "bce_logits_ls_sum", "BinaryCrossentropy",
        {"from_logits": True, "label_smoothing": 0.1, "reduction": "sum"}, B_T, B_L,
        SW3, "float32",
    ),
    ("bce_none", "BinaryCrossentropy", {"reduction": "none"}, B_T, B_P, SW3, "float32"),
    (
        "bce_clip", "BinaryCrossentropy", {"reduction": "none"}, B_X_T, B_X_P, None,
        "float32",
    ),
    ("bce_clip_y1p0", "BinaryCrossentropy", {}, [[1.0]], [[0.0]], None, "float32"),
    ("bce_1d", "BinaryCrossentropy", {}, B1_T, B1_P, None, "float32"),
    (
        "bce_1d_sw", "BinaryCrossentropy", {}, B1_T, B1_P, [1.0, 2.0, 3.0, 4.0],
        "float32",
    ),
    (
        "bce_col", "BinaryCrossentropy", {"reduction": "none"}, B1_T,
        [[0.9], [0.2], [0.6], [0.4]], None, "float32",
    ),
    (
        "bce_axis0", "BinaryCrossentropy", {"axis": 0, "reduction": "none"}, B_T, B_P,
        None, "float32",
    ),
    ("bce_f64", "BinaryCrossentropy", {}, B_T, B_P, SW3, "float64"),
    (
        "bce_f64_clip", "BinaryCrossentropy", {"reduction": "none"}, B_X_T, B_X_P, None,
        "float64",
    ),
    ("cce", "CategoricalCrossentropy", {}, C_T, C_P, None, "float32"),
    ("cce_sw", "CategoricalCrossentropy", {}, C_T, C_P, SW3, "float32"),
    (
        "cce_unnorm", "CategoricalCrossentropy", {"reduction": "none"}, C_T, C_U, None,
        "float32",
    ),
    (
        "cce_ls", "CategoricalCrossentropy", {"label_smoothing": 0.1}, C_T, C_P, None,
        "float32",
    ),
    (
        "cce_logits", "CategoricalCrossentropy", {"from_logits": True}, C_T, C_L, SW3,
        "float32",
    ),
    (
        "cce_logits_ls_none", "CategoricalCrossentropy",
        {"from_logits": True, "label_smoothing": 0.3, "reduction": "none"}, C_T, C_L,
        None, "float32",
    ),
    (
        "cce_clip", "CategoricalCrossentropy", {"reduction": "none"}, C_X_T, C_X_P,
        None, "float32",
    ),
    (
        "cce_axis0", "CategoricalCrossentropy", {"axis": 0, "reduction": "none"}, C_T,
        C_U, None, "float32",
    ),
    (
        "cce_f64", "CategoricalCrossentropy", {"reduction": "sum"}, C_T, C_U, None,
        "float64",
    ),
    ("scce", "SparseCategoricalCrossentropy", {}, S_T, C_P, None, "float32"),
    (
        "scce_col", "SparseCategoricalCrossentropy", {"reduction": "none"}, S_T2, C_P,
        None, "float32",
    ),
    (
        "scce_unnorm", "SparseCategoricalCrossentropy", {"reduction": "none"}, S_T, C_U,
        None, "float32",
    ),
    (
        "scce_logits", "SparseCategoricalCrossentropy", {"from_logits": True}, S_T, C_L,
        SW3, "float32",
    ),
    (
        "scce_clip", "SparseCategoricalCrossentropy", {"reduction": "none"}, [1, 0],
        C_X_P, None, "float32",
    ),
    (
        "scce_ignore", "SparseCategoricalCrossentropy", {"ignore_class": 0}, S_T, C_P,
        None, "float32",
    ),
    (
        "scce_ignore_sum", "SparseCategoricalCrossentropy",
        {"ignore_class": 2, "reduction": "sum"}, S_T, C_P, SW3, "float32",
    ),
    (
        "scce_f64", "SparseCategoricalCrossentropy", {"from_logits": True}, S_T, C_L,
        None, "float64",
    ),
    ("huber", "Huber", {}, H_T, H_P, None, "float32"),
    ("huber_delta", "Huber", {"delta": 0.3}, H_T, H_P, SW2, "float32"),
    (
        "huber_none", "Huber", {"delta": 1.5, "reduction": "none"}, H_T, H_P, None,
        "float32",
    ),
    (
        "huber_f64", "Huber", {"delta": 0.7, "reduction": "sum"}, H_T, H_P, None,
        "float64",
    ),
    ("mape", "MeanAbsolutePercentageError", {}, P_T, P_P, None, "float32"),
    ("msle", "MeanSquaredLogarithmicError", {}, P_T, P_P, SW2, "float32"),
    ("logcosh", "LogCosh", {}, H_T, H_P, None, "float32"),
    ("cosine", "CosineSimilarity", {}, H_T, H_P, None, "float32"),
    (
        "cosine_axis0", "CosineSimilarity", {"axis": 0, "reduction": "none"}, H_T, H_P,
        None, "float32",
    ),
    ("kld", "KLDivergence", {}, C_T, C_P, None, "float32"),
    ("poisson", "Poisson", {}, P_T, P_P, None, "float32"),
    ("hinge", "Hinge", {}, HI_T, HI_P, None, "float32"),
    (
        "hinge_pm1", "Hinge", {}, [[-1.0, 1.0, 1.0], [1.0, -1.0, -1.0]], HI_P, SW2,
        "float32",
    ),
    ("squared_hinge", "SquaredHinge", {}, HI_T, HI_P, None, "float32"),
    ("categorical_hinge", "CategoricalHinge", {}, C_T, C_L, None, "float32"),
]
FUNCTION_CASES = [
    ("mse", "mean_squared_error", {}, A_T, A_P, "float32"),
    ("mse_vec_col", "mean_squared_error", {}, V_T, V_P, "float32"),
    ("mae", "mean_absolute_error", {}, A_T, A_P, "float32"),
    ("mae_f64", "mean_absolute_error", {}, A_T, A_P, "float64"),
    ("bce", "binary_crossentropy", {}, B_T, B_P, "float32"),
    (
        "bce_logits_ls", "binary_crossentropy",
        {"from_logits": True, "label_smoothing": 0.2}, B_T, B_L, "float32",
    ),
    ("bce_clip", "binary_crossentropy", {}, B_X_T, B_X_P, "float32"),
    ("bce_f64", "binary_crossentropy", {}, B_X_T, B_X_P, "float64"),
    ("cce", "categorical_crossentropy", {}, C_T, C_U, "float32"),
    (
        "cce_logits", "categorical_crossentropy", {"from_logits": True}, C_T, C_L,
        "float32",
    ),
    (
        "cce_ls", "categorical_crossentropy", {"label_smoothing": 0.1}, C_T, C_P,
        "float32",
    ),
    ("cce_clip", "categorical_crossentropy", {}, C_X_T, C_X_P, "float32"),
    ("scce", "sparse_categorical_crossentropy", {}, S_T, C_U, "float32"),
    (
        "scce_logits", "sparse_categorical_crossentropy", {"from_logits": True}, S_T2,
        C_L, "float32",
    ),
    ("huber", "huber", {}, H_T, H_P, "float32"),
    ("huber_delta", "huber", {"delta": 2.0}, H_T, H_P, "float32"),
    ("mape", "mean_absolute_percentage_error", {}, P_T, P_P, "float32"),
    ("msle", "mean_squared_logarithmic_error", {}, P_T, P_P, "float32"),
    ("log_cosh", "log_cosh", {}, H_T, H_P, "float32"),
    ("cosine", "cosine_similarity", {}, H_T, H_P, "float32"),
    ("kld", "kl_divergence", {}, C_T, C_P, "float32"),
    ("poisson", "poisson", {}, P_T, P_P, "float32"),
    ("hinge", "hinge", {}, HI_T, HI_P, "float32"),
    ("squared_hinge", "squared_hinge", {}, HI_T, HI_P, "float32"),
    ("categorical_hinge", "categorical_hinge", {}, C_T, C_L, "float32"),
]

# ---- Keras's results (float32, 9 significant digits) -----------------------------
CLASS_EXPECTED = {
    "mse": (0.61500001, "float32"),
    "mse_sw": (0.942499995, "float32"),
    "mse_sw_scalar": (1.23000002, "float32"),
    "mse_sw_col": (0.942499995, "float32"),
    "mse_sum": (1.88499999, "float32"),
    "mse_none": ([0.383333415, 0.846666634], "float32"),
    "mse_none_sw": ([0.191666707, 1.69333327], "float32"),
    "mse_mean_sw": (0.754000008, "float32"),
    "mse_vec_col": (1.13499999, "float32"),
    "mse_vec_col_sw": (1.08249998, "float32"),
    "mse_f64": (0.942499995, "float32"),
    "mse_dtype64": (0.615, "float64"),
    "mae": (0.649999976, "float32"),
    "mae_sw_sum": (1.75, "float32"),
    "mae_none": ([0.5, 0.200000003, 0.5, 2.0], "float32"),
    "mae_f64": (0.800000012, "float32"),
    "bce": (0.236941874, "float32"),
    "bce_sw": (0.298071235, "float32"),
    "bce_ls": (0.424120307, "float32"),
    "bce_logits": (0.257566839, "float32"),
    "bce_logits_ls_sum": (1.28857327, "float32"),
    "bce_none": ([0.0821260214, 0.281059444, 0.531028271], "float32"),
    "bce_clip": ([8.01511955], "float32"),
    "bce_clip_y1p0": (16.1180954, "float32"),
    "bce_1d": (0.43890509, "float32"),
    "bce_1d_sw": (1.09726274, "float32"),
    "bce_col": ([0.105360545, 0.223143533, 0.510825574, 0.9162907], "float32"),
    "bce_axis0": ([0.375670582, 0.0982131734], "float32"),
    "bce_f64": (0.298071235, "float32"),
    "bce_f64_clip": ([8.01511955], "float32"),
    "cce": (1.20397282, "float32"),
    "cce_sw": (1.58773708, "float32"),
    "cce_unnorm": ([1.38629436, 0.287682086, 1.19209304e-07], "float32"),
    "cce_ls": (1.24190199, "float32"),
    "cce_logits": (0.831764281, "float32"),
    "cce_logits_ls_none": ([0.71436882, 0.765883923, 1.09861231], "float32"),
    "cce_clip": ([16.1180954, 1.1920929e-07], "float32"),
    "cce_axis0": ([1.25276291, 0.405465096, 0.287682086], "float32"),
    "cce_f64": (1.67397654, "float32"),
    "scce": (1.20397282, "float32"),
    "scce_col": ([0.10536056, 2.30258512, 1.20397282], "float32"),
    "scce_unnorm": ([1.09861231, 0.693147182, 2.38418551e-07], "float32"),
    "scce_logits": (0.831764281, "float32"),
    "scce_clip": ([16.1180954, 2.38418551e-07], "float32"),
    "scce_ignore": (1.20397282, "float32"),
    "scce_ignore_sum": (2.46062589, "float32"),
    "scce_f64": (0.542954981, "float32"),
    "huber": (0.658333302, "float32"),
    "huber_delta": (0.327916652, "float32"),
    "huber_none": ([0.74666667, 0.903333366], "float32"),
    "huber_f64": (1.03499997, "float32"),
    "mape": (16666687.0, "float32"),
    "msle": (0.0399386957, "float32"),
    "logcosh": (0.592768371, "float32"),
    "cosine": (-0.297774792, "float32"),
    "cosine_axis0": ([-0.964763761, -0.991227984, -0.209529102], "float32"),
    "kld": (1.20396996, "float32"),
    "poisson": (0.6043033, "float32"),
    "hinge": (0.716666639, "float32"),
    "hinge_pm1": (0.808333278, "float32"),
    "squared_hinge": (0.875, "float32"),
    "categorical_hinge": (0.333333343, "float32"),
}
GRAD_EXPECTED = {
    "mse": [
        [0.166666672, -0.100000009, 0.300000042], [0.066666685, -0.5, -0.166666672],
    ],
    "mse_sw": [
        [0.0833333358, -0.0500000045, 0.150000021], [0.13333337, -1.0, -0.333333343],
    ],
    "mse_sw_scalar": [
        [0.333333343, -0.200000018, 0.600000083], [0.13333337, -1.0, -0.333333343],
    ],
    "mse_sw_col": [
        [0.0833333358, -0.0500000045, 0.150000021], [0.13333337, -1.0, -0.333333343],
    ],
    "mse_sum": [
        [0.166666672, -0.100000009, 0.300000042], [0.26666674, -2.0, -0.666666687],
    ],
    "mse_none": [
        [0.333333343, -0.200000018, 0.600000083], [0.13333337, -1.0, -0.333333343],
    ],
    "mse_none_sw": [
        [0.166666672, -0.100000009, 0.300000042], [0.26666674, -2.0, -0.666666687],
    ],
    "mse_mean_sw": [
        [0.0666666701, -0.0400000028, 0.12000002],
        [0.106666699, -0.800000072, -0.266666681],
    ],
    "mse_vec_col": [[-0.25], [0.100000001], [0.25], [-1.0]],
    "mse_vec_col_sw": [[-0.25], [0.200000003], [0.0], [-1.0]],
    "mae": [
        [0.166666672, -0.166666672, 0.166666672],
        [0.166666672, -0.166666672, -0.166666672],
    ],
    "mae_sw_sum": [
        [0.166666672, -0.166666672, 0.166666672],
        [0.666666687, -0.666666687, -0.666666687],
    ],
    "mae_none": [[-1.0], [1.0], [1.0], [-1.0]],
    "bce": [
        [0.185185194, -0.208333343], [-0.277777791, -0.175438613],
        [0.277777791, 0.170068026],
    ],
    "bce_sw": [
        [0.092592597, -0.104166672], [-0.277777791, -0.175438613],
        [0.555555582, 0.340136051],
    ],
    "bce_ls": [
        [1.49011612e-08, -0.104166679], [-0.208333343, 0.175438419],
        [0.208333328, -0.680272162],
    ],
    "bce_logits": [
        [0.015187162, -0.0329693593], [-0.0833333358, -0.00718454272],
        [0.0629234463, 0.00299770175],
    ],
    "bce_logits_ls_sum": [
        [0.0102807423, -0.0369540304], [-0.224999994, 0.00344637781],
        [0.327540666, -0.0320137888],
    ],
    "bce_none": [
        [0.277777791, -0.3125], [-0.833333313, -0.526315808], [1.66666663, 1.02040815],
    ],
    "bce_clip": [[0.0, 0.0, 0.0, 0.0]],
    "bce_clip_y1p0": [[0.0]],
    "bce_1d": [-0.277777791, 0.3125, -0.416666657, -0.625],
    "bce_1d_sw": [-0.694444478, 0.78125, -1.04166663, -1.5625],
    "bce_col": [[-1.11111116], [1.25], [-1.66666663], [-2.5]],
    "bce_axis0": [
        [0.370370388, -0.416666687], [-0.555555582, -0.350877225],
        [0.555555582, 0.340136051],
    ],
    "cce": [
        [0.333333343, -0.0370370448, 0.333333343],
        [0.333333343, 0.333333343, -3.00000024],
        [-0.777777791, 0.333333373, 0.333333373],
    ],
    "cce_sw": [
        [0.166666672, -0.0185185224, 0.166666672],
        [0.333333343, 0.333333343, -3.00000024],
        [-1.55555558, 0.666666746, 0.666666746],
    ],
    "cce_unnorm": [
        [0.249999985, -0.74999994, 0.249999985], [0.25, 0.25, -0.0833333433],
        [0.0, 0.0, 0.0],
    ],
    "cce_ls": [
        [0.111111104, -0.0123457015, 0.111111104],
        [0.222222224, 0.319444448, -2.77777791],
        [-0.703703642, 0.296296299, 0.305555552],
    ],
    "cce_logits": [
        [0.038537316, -0.0619113855, 0.0233740639],
        [0.00571594201, 0.0155375414, -0.0212534871],
        [-0.444444418, 0.222222239, 0.222222239],
    ],
    "cce_logits_ls_none": [
        [0.131223887, -0.171468318, 0.0402443781],
        [-0.0828521773, -0.0533873774, 0.136239529],
        [-0.466666669, 0.233333349, 0.233333349],
    ],
    "cce_clip": [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
    "cce_axis0": [
        [0.285714298, -0.333333313, 0.25], [0.285714298, 0.666666687, -0.0833333433],
        [-0.714285731, 0.666666687, 0.25],
    ],
    "scce": [
        [0.333333313, -0.0370370485, 0.333333313], [0.333333343, 0.333333343, -3.0],
        [-0.777777791, 0.333333313, 0.333333343],
    ],
    "scce_col": [
        [0.999999881, -0.111111142, 0.999999881], [1.0, 1.0, -9.0],
        [-2.33333349, 0.99999994, 1.0],
    ],
    "scce_unnorm": [[0.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 0.0]],
    "scce_logits": [
        [0.038537316, -0.0619113855, 0.0233740639],
        [0.00571594201, 0.0155375414, -0.0212534871],
        [-0.444444418, 0.222222239, 0.222222239],
    ],
    "scce_clip": [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
    "scce_ignore": [
        [0.49999994, -0.0555555709, 0.49999994], [0.5, 0.5, -4.5], [0.0, 0.0, 0.0],
    ],
    "scce_ignore_sum": [
        [0.49999994, -0.0555555709, 0.49999994], [0.0, 0.0, 0.0],
        [-4.66666698, 1.99999988, 2.0],
    ],
    "huber": [
        [0.0500000045, 0.166666672, -0.133333325],
        [0.0166666713, -0.0666666701, 0.166666672],
    ],
    "huber_delta": [
        [0.0250000022, 0.0250000022, -0.0250000022],
        [0.0333333425, -0.100000009, 0.100000009],
    ],
    "huber_none": [[0.100000009, 0.5, -0.266666651], [0.0333333425, -0.13333334, 0.5]],
    "mape": [
        [-16.666666, 166666656.0, -8.33333302], [33.3333321, -5.55555534, 16.666666],
    ],
    "msle": [
        [-0.00975560863, 0.0144409211, -0.0121547701],
        [0.0268910602, -0.0639293492, 0.0405107066],
    ],
    "logcosh": [
        [0.0485521108, 0.160671264, -0.110672787],
        [0.0166113377, -0.063324824, 0.164435714],
    ],
    "cosine": [
        [0.0106012579, 0.037104398, -0.0954113379],
        [-0.208409816, 0.00821319316, 0.155024052],
    ],
    "cosine_axis0": [
        [0.222637773, -0.00577130914, -0.397480637],
        [-0.0607194901, -0.0432850681, 0.317984521],
    ],
    "kld": [
        [-6.66666665e-07, -0.370370418, -6.66666665e-07],
        [-3.33333332e-07, -4.16666666e-08, -3.33333302],
        [-1.11111116, -1.11111113e-07, -8.33333331e-08],
    ],
    "poisson": [
        [-0.0416666269, 0.166666672, -0.0555555373],
        [0.0277778059, -0.0833333284, 0.0384615511],
    ],
    "hinge": [[0.166666672, -0.166666672, -0.0], [-0.166666672, 0.166666672, 0.0]],
    "hinge_pm1": [
        [0.0833333358, -0.0833333358, -0.0], [-0.333333343, 0.333333343, 0.0],
    ],
    "squared_hinge": [
        [0.433333337, -0.400000036, -0.0], [-0.133333325, 0.466666669, 0.0],
    ],
    "categorical_hinge": [
        [0.333333343, -0.333333343, 0.0], [0.0, 0.0, 0.0],
        [-0.333333343, 0.166666672, 0.166666672],
    ],
}
FUNCTION_EXPECTED = {
    "mse": ([0.383333415, 0.846666634], "float32"),
    "mse_vec_col": ([0.25, 0.0400000028, 0.25, 4.0], "float32"),
    "mae": ([0.566666663, 0.733333349], "float32"),
    "mae_f64": ([0.566666667, 0.733333333], "float64"),
    "bce": ([0.164252043, 0.281059444, 0.265514135], "float32"),
    "bce_logits_ls": ([0.342981458, 0.523605585, 0.471113473], "float32"),
    "bce_clip": ([8.01511955], "float32"),
    "bce_f64": ([8.05904788], "float64"),
    "cce": ([1.38629436, 0.287682086, 1.19209304e-07], "float32"),
    "cce_logits": ([0.46436879, 0.0658839121, 1.09861231], "float32"),
    "cce_ls": ([0.298052013, 2.23327041, 1.19438338], "float32"),
    "cce_clip": ([16.1180954, 1.1920929e-07], "float32"),
    "scce": ([1.09861231, 0.693147182, 2.38418551e-07], "float32"),
    "scce_logits": ([0.46436879, 0.0658839121, 1.09861231], "float32"),
    "huber": ([0.62166661, 0.694999993], "float32"),
    "huber_delta": ([0.788333356, 1.02833331], "float32"),
    "mape": ([33333346.0, 27.7777786], "float32"),
    "msle": ([0.0178086683, 0.0354865305], "float32"),
    "log_cosh": ([0.553365648, 0.632171094], "float32"),
    "cosine": ([-0.744208455, 0.148658842], "float32"),
    "kld": ([0.105357945, 2.30258226, 1.20396972], "float32"),
    "poisson": ([0.604071021, 0.60453558], "float32"),
    "hinge": ([0.833333313, 0.599999964], "float32"),
    "squared_hinge": ([1.04333329, 0.706666648], "float32"),
    "categorical_hinge": ([0.0, 0.0, 1.0], "float32"),
}


# ---- values --------------------------------------------------------------------------
@pytest.mark.parametrize("case", CLASS_CASES, ids=[c[0] for c in CLASS_CASES])
def test_loss_class_matches_keras(case):
    cid, cls_name, kwargs, y_true, y_pred, sample_weight, dtype = case
    loss = getattr(losses, cls_name)(**kwargs)
    out = loss(_arr(y_true, dtype), _arr(y_pred, dtype), sample_weight=sample_weight)
    expected, expected_dtype = CLASS_EXPECTED[cid]
    assert isinstance(out, tf.Tensor)
    assert out.dtype.name == expected_dtype
    assert tuple(out.shape) == np.shape(expected)
    _close(out.numpy(), expected)


@pytest.mark.parametrize("case", FUNCTION_CASES, ids=[c[0] for c in FUNCTION_CASES])
def test_loss_function_matches_keras(case):
    fid, fn_name, kwargs, y_true, y_pred, dtype = case
    out = getattr(losses, fn_name)(_arr(y_true, dtype), _arr(y_pred, dtype), **kwargs)
    expected, expected_dtype = FUNCTION_EXPECTED[fid]
    assert out.dtype.name == expected_dtype
    assert tuple(out.shape) == np.shape(expected)
    _close(out.numpy(), expected)


GRAD_CASES = [c for c in CLASS_CASES if c[0] in GRAD_EXPECTED]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_loss_gradient_matches_keras(case):
    """d loss / d y_pred on a GradientTape equals TensorFlow's gradient of the Keras
    loss (zero where probabilities are clipped)."""
    cid, cls_name, kwargs, y_true, y_pred, sample_weight, dtype = case
    loss = getattr(losses, cls_name)(**kwargs)
    pred = tf.constant(_arr(y_pred, dtype))
    with tf.GradientTape() as tape:
        tape.watch(pred)
        value = tf.reduce_sum(
            loss(_arr(y_true, dtype), pred, sample_weight=sample_weight))
    grad = tape.gradient(value, pred)
    assert grad is not None
    assert np.all(np.isfinite(grad.numpy()))
    _close(grad.numpy(), GRAD_EXPECTED[cid], rtol=2e-6, atol=1e-6)


def test_gradient_reaches_model_weights():
    """A loss inside a training step gives finite gradients for every variable."""
    w = tf.Variable([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6]])
    b = tf.Variable([0.0, 0.0, 0.0])
    x = tf.constant([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])
    for loss in (losses.CategoricalCrossentropy(from_logits=True),
                 losses.CategoricalCrossentropy(),
                 losses.SparseCategoricalCrossentropy(),
                 losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
                 losses.MeanSquaredError(), losses.Huber(), losses.MeanAbsoluteError()):
        y = [2, 0, 1] if isinstance(loss, losses.SparseCategoricalCrossentropy) else \
            [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
        with tf.GradientTape() as tape:
            logits = tf.matmul(x, w) + b
            from_logits = getattr(loss, "from_logits", True)
            pred = logits if from_logits else tf.nn.softmax(logits)
            value = loss(y, pred)
        gw, gb = tape.gradient(value, [w, b])
        assert gw is not None and gb is not None, loss.name
        assert np.all(np.isfinite(gw.numpy())) and np.all(np.isfinite(gb.numpy()))
        assert np.any(gw.numpy() != 0), loss.name


def test_bce_from_logits_gradient_at_zero_logit():
    """At a logit of exactly 0 the gradient is sigmoid(0) - y = 0.5 - y, as TF's."""
    logits = tf.constant([[0.0, 0.0]])
    with tf.GradientTape() as tape:
        tape.watch(logits)
        value = losses.BinaryCrossentropy(from_logits=True)([[1.0, 0.0]], logits)
    _close(tape.gradient(value, logits).numpy(), [[-0.25, 0.25]])


# ---- clipping, dtypes, reductions ----------------------------------------------------
def test_bce_of_certain_wrong_prediction_is_clipped_at_16_118():
    assert math.isclose(float(losses.BinaryCrossentropy()([[1.0]], [[0.0]])),
                        16.118095, rel_tol=1e-6)
    assert math.isclose(float(losses.binary_crossentropy([[0.0]], [[1.0]])[0]),
                        15.942385, rel_tol=1e-6)


def test_float64_inputs_are_cast_to_float32():
    out = losses.MeanSquaredError()(np.array([[1.0, 2.0]]), np.array([[1.5, 2.5]]))
    assert out.dtype == tf.float32
    out = losses.SparseCategoricalCrossentropy()(np.array([0]), np.array([[0.6, 0.4]]))
    assert out.dtype == tf.float32


def test_categorical_crossentropy_renormalises_probabilities():
    a = losses.categorical_crossentropy([[0.0, 1.0, 0.0]], [[2.0, 2.0, 4.0]])
    b = losses.categorical_crossentropy([[0.0, 1.0, 0.0]], [[0.25, 0.25, 0.5]])
    _close(a.numpy(), b.numpy())
    _close(a.numpy(), [-math.log(0.25)])


def test_categorical_crossentropy_warns_on_one_class():
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_crossentropy([[1.0]], [[0.7]])


def test_invalid_reduction_raises():
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="same shape"):
        losses.binary_crossentropy([[0.0, 1.0]], [[0.1, 0.2, 0.3]])
    with pytest.raises(ValueError, match="same shape"):
        losses.categorical_crossentropy([[0.0, 1.0]], [[0.1, 0.2, 0.7]])
    with pytest.raises(ValueError, match="axis=-1"):
        losses.sparse_categorical_crossentropy([0], [[0.1, 0.9]], axis=0)


def test_empty_batch_and_scalar_losses_are_not_divided():
    empty = np.zeros((0, 2), np.float32)
    out = losses.MeanSquaredError()(empty, empty)
    assert tuple(out.shape) == (0,)
    out = losses.BinaryCrossentropy()([1.0, 0.0], [0.8, 0.1])  # 1-D: a scalar already
    _close(out.numpy(), (-math.log(0.8) - math.log(0.9)) / 2)


# ---- objects, configs, lookup --------------------------------------------------------
def test_default_names_and_configs_match_keras():
    assert losses.MeanSquaredError().get_config() == {
        "name": "mean_squared_error", "reduction": "sum_over_batch_size"}
    assert losses.MeanAbsoluteError().name == "mean_absolute_error"
    assert losses.Huber(delta=2.0).get_config() == {
        "name": "huber_loss", "reduction": "sum_over_batch_size"}
    assert losses.BinaryCrossentropy().get_config() == {
        "name": "binary_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "label_smoothing": 0.0, "axis": -1}
    assert losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1,
                                          reduction="sum").get_config() == {
        "name": "categorical_crossentropy", "reduction": "sum", "from_logits": True,
        "label_smoothing": 0.1, "axis": -1}
    assert losses.SparseCategoricalCrossentropy().get_config() == {
        "name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "ignore_class": None}
    assert losses.MeanSquaredError().dtype == "float32"


def test_from_config_round_trips():
    for loss in (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
                 losses.SparseCategoricalCrossentropy(from_logits=True,
                                                      reduction="none"),
                 losses.MeanSquaredError(name="m"), losses.Huber()):
        again = type(loss).from_config(loss.get_config())
        assert again.get_config() == loss.get_config()
    wrapper = losses.LossFunctionWrapper(losses.huber, delta=2.0)
    again = losses.LossFunctionWrapper.from_config(wrapper.get_config())
    assert again.fn is losses.huber and again._fn_kwargs == {"delta": 2.0}
    assert losses.serialize(losses.mean_squared_error) == {
        "module": "builtins", "class_name": "function", "config": "mean_squared_error",
        "registered_name": "function"}
    again = losses.deserialize(losses.serialize(losses.Huber()))
    assert isinstance(again, losses.Huber)


def test_get_resolves_names_like_keras():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("mae") is losses.mean_absolute_error
    assert losses.get("mean_squared_error") is losses.mean_squared_error
    assert losses.get("binary_crossentropy") is losses.binary_crossentropy
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert losses.get("sparse_categorical_crossentropy") is \
        losses.sparse_categorical_crossentropy
    assert losses.get("huber") is losses.huber
    assert losses.get("kld") is losses.kl_divergence
    assert isinstance(losses.get("Huber"), losses.Huber)
    assert isinstance(losses.get("BinaryCrossentropy"), losses.BinaryCrossentropy)
    cfg = {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}
    assert losses.get(cfg).from_logits is True
    obj = losses.MeanSquaredError()
    assert losses.get(obj) is obj and losses.get(None) is None
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        losses.get("no_such_loss")


def test_function_aliases():
    assert losses.mse is losses.mean_squared_error
    assert losses.mae is losses.mean_absolute_error


def test_custom_loss_subclass():
    class Scaled(losses.Loss):
        def call(self, y_true, y_pred):
            return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1) * 2.0

    loss = Scaled()
    assert loss.name.startswith("scaled")
    y_true, y_pred = [[1.0, 2.0], [0.0, 0.0]], [[2.0, 2.0], [1.0, 1.0]]
    _close(loss(y_true, y_pred).numpy(), 1.5)
    _close(loss(y_true, y_pred, [1.0, 0.0]).numpy(), 0.5)


def test_every_loss_round_trips_its_config():
    for obj in losses.ALL_OBJECTS:
        skip = (losses.Loss, losses.LossFunctionWrapper)
        if not isinstance(obj, type) or obj in skip:
            continue
        loss = obj()
        again = obj.from_config(loss.get_config())
        assert type(again) is obj and again.get_config() == loss.get_config()
        assert losses.deserialize(losses.serialize(loss)).get_config() == \
            loss.get_config()


def test_losses_use_the_logits_cached_by_softmax_and_sigmoid():
    from tapeflow import keras

    """Keras 3 (TF 2.21, read off real Keras): keras.activations.softmax/sigmoid cache
    their input as `_keras_logits`, and the crossentropies compute from it: 60.0 rather
    than the clipped 16.118 for a confidently wrong softmax; a bare tf.nn.softmax output
    carries nothing and is clipped."""
    x = tf.constant([[30.0, -30.0]])
    p = keras.activations.softmax(x)
    assert float(keras.losses.sparse_categorical_crossentropy(np.array([1]), p)[0]) == 60.0
    assert float(keras.losses.categorical_crossentropy(np.array([[0.0, 1.0]]), p)[0]) == 60.0
    s = keras.activations.sigmoid(tf.constant([[-40.0]]))
    assert float(keras.losses.binary_crossentropy(np.array([[1.0]]), s)[0]) == 40.0
    bare = float(keras.losses.sparse_categorical_crossentropy(np.array([1]), tf.nn.softmax(x))[0])
    assert abs(bare - 16.118095) < 1e-5
    with pytest.warns(UserWarning, match="does not represent logits"):
        keras.losses.sparse_categorical_crossentropy(np.array([1]), p, from_logits=True)

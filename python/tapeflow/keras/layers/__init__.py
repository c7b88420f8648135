"""``keras.layers``."""

from tapeflow.keras.layers.core import (  # noqa: F401
    Activation, Add, Average, BatchNormalization, Concatenate, Dense, Dropout, Embedding,
    Flatten, Input, InputLayer, Maximum, Minimum, Multiply, Normalization, Reshape, Subtract,
    add, average, concatenate, maximum, minimum, multiply, subtract)
from tapeflow.keras.layers.activation_layers import (  # noqa: F401
    ELU, LeakyReLU, PReLU, ReLU, Softmax)
from tapeflow.keras.layers.reshaping import (  # noqa: F401
    Cropping1D, Cropping2D, Cropping3D, Permute, RepeatVector, UpSampling1D, UpSampling2D,
    UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)
from tapeflow.keras.layers.regularization import (  # noqa: F401
    SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)
from tapeflow.keras.layers.global_pooling import (  # noqa: F401
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
    GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D, GlobalMaxPool1D, GlobalMaxPool2D,
    GlobalMaxPool3D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D)
from tapeflow.keras.layers.lambda_layer import Lambda  # noqa: F401
from tapeflow.keras.layers.convolutional import (  # noqa: F401
    Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose, Convolution1D,
    Convolution1DTranspose, Convolution2D, Convolution2DTranspose, Convolution3D,
    Convolution3DTranspose, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
    SeparableConv2D, SeparableConvolution1D, SeparableConvolution2D)
from tapeflow.keras.layers.pooling import (  # noqa: F401
    AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool2D, AvgPool3D,
    MaxPool1D, MaxPool2D, MaxPool3D, MaxPooling1D, MaxPooling2D, MaxPooling3D)
from tapeflow.keras.layers.preprocessing import (  # noqa: F401
    CenterCrop, RandomBrightness, RandomContrast, RandomCrop, RandomFlip,
    RandomRotation, RandomTranslation, RandomZoom, Rescaling, Resizing)
from tapeflow.keras.layers.input_spec import InputSpec  # noqa: F401
from tapeflow.keras.layers.layer import KerasTensor, Layer  # noqa: F401
from tapeflow.keras.utils.registry import register_builtins  # noqa: E402

register_builtins("layer", [
    Activation, Add, Average, BatchNormalization, Concatenate, Dense, Dropout, Embedding,
    Flatten, InputLayer, Layer, Maximum, Minimum, Multiply, Normalization, Reshape, Subtract,
    ELU, LeakyReLU, PReLU, ReLU, Softmax,
    Cropping1D, Cropping2D, Cropping3D, Permute, RepeatVector, UpSampling1D, UpSampling2D,
    UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D, SpatialDropout1D,
    SpatialDropout2D, SpatialDropout3D, GlobalAveragePooling1D, GlobalAveragePooling2D,
    GlobalAveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
    Lambda,
    Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose,
    DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
    AveragePooling1D, AveragePooling2D, AveragePooling3D, MaxPooling1D, MaxPooling2D,
    MaxPooling3D,
    CenterCrop, RandomBrightness, RandomContrast, RandomCrop, RandomFlip, RandomRotation,
    RandomTranslation, RandomZoom, Rescaling, Resizing])

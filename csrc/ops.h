// The one dispatch point: every op checks its arguments here (shapes, dtypes, axes,
// indices), picks the device's kernel and returns a new Array (or a view, for view
// ops). Python bindings, tests and benchmarks call only this.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/array.h"
#include "core/error.h"
#include "opdefs/op_list.h"

namespace tapeflow::ops {

using Axes = std::vector<int64_t>;

// ---- elementwise (numpy broadcasting; operands must share a dtype) -------------
#define TAPEFLOW_DECLARE_UNARY(name, ...) Array name(const Array& x);
TAPEFLOW_UNARY_OPS(TAPEFLOW_DECLARE_UNARY)
#undef TAPEFLOW_DECLARE_UNARY
#define TAPEFLOW_DECLARE_BINARY(name, ...) Array name(const Array& a, const Array& b);
TAPEFLOW_BINARY_OPS(TAPEFLOW_DECLARE_BINARY)
#undef TAPEFLOW_DECLARE_BINARY

Array unary(UnaryOp op, const Array& x);
Array binary(BinaryOp op, const Array& a, const Array& b);
const char* unary_name(UnaryOp op);
const char* binary_name(BinaryOp op);
Array where(const Array& cond, const Array& a, const Array& b);
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op = "broadcast");

// ---- fused elementwise chains (the graph executor fuses them: csrc/graph) -----------
// One step of a chain: a unary or binary op of the op list whose operands are inputs[k]
// for k >= 0, or the previous step's result for k == -1 (a chain is linear).
struct ChainStep {
  bool binary = false;
  int op = 0;  // a UnaryOp or BinaryOp
  int a = 0, b = 0;
};
// The op list's elementwise op called `name`, as a chain step (operands unset).
std::optional<ChainStep> chain_step(const std::string& name);
// The last step's result. When every input lives on the CPU and is contiguous with the
// result's shape, has one element, or is contiguous with its trailing dims (a bias), one
// pass over the data in cache-sized blocks runs every step's inner loop (no intermediate
// arrays); otherwise the steps run one op at a time. Both give the same numbers as the
// ops one by one (the same inner loops).
Array elementwise_chain(const std::vector<ChainStep>& steps, const std::vector<Array>& inputs);

// ---- creation and conversion ------------------------------------------------------
Array full(const Shape& shape, DType dtype, double value);
Array full_int(const Shape& shape, DType dtype, int64_t value);  // exact for int64
// Copies n-d data at `data` with element strides `strides` into a new contiguous Array.
Array from_buffer(const void* data, const Shape& shape, const Strides& strides, DType dtype);
Array cast(const Array& x, DType dtype);
Array contiguous(const Array& x);  // x itself when already contiguous
Array copy(const Array& x);        // always a new contiguous Array
// tf.shape / tf.size: x's shape as a 1-D (its number of elements as a scalar) int32 or
// int64 Array on the host. Ops, so a traced graph reads the shapes it runs on.
Array shape_of(const Array& x, DType dtype);
Array size_of(const Array& x, DType dtype);
// Writes src (broadcast to dst's shape, cast to dst's dtype) into the view dst.
void copy_into(const Array& dst, const Array& src);

// ---- views (share storage) --------------------------------------------------------
Array reshape(const Array& x, Shape shape);  // one -1 allowed; copies only if it must
Array transpose(const Array& x, const Axes& perm);  // empty perm reverses the axes
Array broadcast_to(const Array& x, const Shape& shape);
Array expand_dims(const Array& x, int64_t axis);
Array squeeze(const Array& x, const Axes& axes);  // empty: every size-1 axis
// One entry per leading dimension, with Python's semantics: a slice (start/stop
// optional, step != 0, negative steps allowed) or, when `index` is set, an integer
// index that removes the dimension (out of range raises OutOfRange).
struct SliceArg {
  std::optional<int64_t> start, stop;
  int64_t step = 1;
  std::optional<int64_t> index;
};
Array slice(const Array& x, const std::vector<SliceArg>& args);
// A copy of x with x[args] replaced by value (broadcast to the slice, same dtype).
Array slice_assign(const Array& x, const std::vector<SliceArg>& args, const Array& value);

// ---- reductions (axis: std::nullopt = all axes; negative axes count from the end) --
Array reduce(ReduceOp op, const Array& x, const std::optional<Axes>& axes, bool keepdims);
Array sum(const Array& x, const std::optional<Axes>& axes = std::nullopt, bool keepdims = false);
Array mean(const Array& x, const std::optional<Axes>& axes = std::nullopt, bool keepdims = false);
Array argmax(const Array& x, int64_t axis, DType out = DType::kInt64);
Array argmin(const Array& x, int64_t axis, DType out = DType::kInt64);
const char* reduce_name(ReduceOp op);

// ---- scans (along one axis; negative axes count from the end) -----------------------
// tf.math.cumsum / cumprod / cumulative_logsumexp: out[k] combines x[0..k] along `axis`
// in order, in x's dtype (exclusive: x[0..k); reverse: from the end). Same shape as x.
Array scan(ScanOp op, const Array& x, int64_t axis, bool exclusive = false,
           bool reverse = false);
Array cumsum(const Array& x, int64_t axis, bool exclusive = false, bool reverse = false);
Array cumprod(const Array& x, int64_t axis, bool exclusive = false, bool reverse = false);
Array cumulative_logsumexp(const Array& x, int64_t axis, bool exclusive = false,
                           bool reverse = false);
const char* scan_name(ScanOp op);

// ---- linear algebra ---------------------------------------------------------------
// Batched matmul: a (..., M, K), b (..., K, N), leading dims broadcast.
Array matmul(const Array& a, const Array& b, bool transpose_a = false, bool transpose_b = false);

// ---- data movement ----------------------------------------------------------------
Array concat(const std::vector<Array>& xs, int64_t axis);
Array stack(const std::vector<Array>& xs, int64_t axis);
Array gather(const Array& params, const Array& indices, int64_t axis);
// The adjoint of gather: zeros of `shape`, then out[.., indices[j], ..] += updates[.., j, ..]
// along `axis` (repeated indices accumulate).
Array scatter_add(const Array& indices, const Array& updates, const Shape& shape, int64_t axis);
Array one_hot(const Array& indices, int64_t depth, double on_value, double off_value,
              int64_t axis, DType dtype);
Array tile(const Array& x, const std::vector<int64_t>& multiples);
Array pad(const Array& x, const std::vector<std::pair<int64_t, int64_t>>& paddings,
          double value);

// ---- convolution and pooling (channels-last: x (N, spatial..., C), 1 to 3 spatial dims) --
// Where a window sits along each spatial dimension: strides, dilations and the padding
// before and after. The ops take explicit padding; the Python layer turns TF's
// "SAME"/"VALID" into it (TF's GetWindowedOutputSize), so a traced graph holds numbers.
// Output size per dimension: (in + before + after - ((k - 1) * dilation + 1) + stride) /
// stride, TF's formula; a negative size is TF's InvalidArgument.
struct Window {
  std::vector<int64_t> strides, dilations, pad_before, pad_after;
};
// x (N, in..., Cin), w (k..., Cin / groups, Cout) -> (N, out..., Cout): a grouped
// convolution when w's input depth divides Cin (groups = Cin / depth; depthwise when the
// depth is 1), as TF's Conv2D/Conv3D. float32 and float64.
Array conv(const Array& x, const Array& w, const Window& win);
// relu(conv(x, w) + bias) (relu optional) in one op: the bias and activation are applied
// to each tile of the output while it is in cache; the same bits as the three ops.
Array conv_bias_act(const Array& x, const Array& w, const Array& bias, const Window& win,
                    bool relu);
// The gradient of conv w.r.t. x (of shape x_shape) given dy; also conv_transpose's forward.
Array conv_backprop_input(const Shape& x_shape, const Array& w, const Array& dy,
                          const Window& win);
// The gradient of conv w.r.t. w (of shape w_shape) given x and dy.
Array conv_backprop_filter(const Array& x, const Shape& w_shape, const Array& dy,
                           const Window& win);
// Max / average pools over windows of ksize (one entry per spatial dim; dilations must be
// 1). The average leaves padding out of each window's count (TF's SAME pooling).
Array max_pool(const Array& x, const std::vector<int64_t>& ksize, const Window& win);
Array avg_pool(const Array& x, const std::vector<int64_t>& ksize, const Window& win);
// TF's MaxPoolWithArgmax: {max pool, the flat index of each window's first maximum}:
// (y * width + x) * channels + c within the image, plus batch * image size with
// include_batch. Indices int64.
std::array<Array, 2> max_pool_with_argmax(const Array& x, const std::vector<int64_t>& ksize,
                                          const Window& win, bool include_batch);
// Their gradients: dy routed to each window's first maximum of x (TF's MaxPoolGrad), or
// spread evenly over each window's positions inside the input (TF's AvgPoolGrad).
Array max_pool_grad(const Array& x, const Array& dy, const std::vector<int64_t>& ksize,
                    const Window& win);
Array avg_pool_grad(const Shape& x_shape, const Array& dy, const std::vector<int64_t>& ksize,
                    const Window& win);

// ---- batch normalisation (channels last) -------------------------------------------------
// Keras's BatchNormalization in training, fused: statistics of x over every axis but the
// last (biased variance), y = (x - mean) / sqrt(var + epsilon) * gamma + beta. gamma and
// beta have one entry per channel. Returns {y, mean, var}. Float types.
std::array<Array, 3> batch_norm(const Array& x, const Array& gamma, const Array& beta,
                                double epsilon);
// Its gradient w.r.t. x, gamma and beta given dy and the forward's mean and var.
std::array<Array, 3> batch_norm_grad(const Array& dy, const Array& x, const Array& gamma,
                                     const Array& mean, const Array& var, double epsilon);

// ---- fused activations ----------------------------------------------------------------
// exp(x - max) / sum(exp(x - max)) along `axis`: one call running the same kernels (and
// so giving the same numbers) as the five-op composite. Float dtypes only.
Array softmax(const Array& x, int64_t axis);

// ---- fused losses -------------------------------------------------------------------
// TF's SparseSoftmaxCrossEntropyWithLogits: logits (..., C) float, labels (...) int.
// Returns {loss (...), backprop (..., C) = softmax(logits) - one_hot(labels)}; a label
// outside [0, C) is an InvalidArgument error.
std::array<Array, 2> sparse_softmax_xent(const Array& logits, const Array& labels);

// ---- fused optimizer updates ---------------------------------------------------------
// One Adam step, as TF's ApplyAdam / Keras 3, in the variables' dtype:
// alpha = lr * sqrt(1 - beta2_power) / (1 - beta1_power) (in that order),
// m' = m + (g - m) * (1 - beta1), v' = v + (g * g - v) * (1 - beta2),
// var' = var - (m' * alpha) / (sqrt(v') + epsilon). lr and the beta powers are
// one-element float Arrays read on the host when the step runs (so a traced step
// computes them in the graph); 1 - beta1, 1 - beta2 and epsilon are numbers (Keras forms
// 1 - beta in double, then rounds). Returns {var', m', v'} (new arrays; inputs are
// untouched).
std::array<Array, 3> apply_adam(const Array& var, const Array& m, const Array& v,
                                const Array& grad, const Array& lr, const Array& beta1_power,
                                const Array& beta2_power, double one_minus_beta1,
                                double one_minus_beta2, double epsilon);

// ---- random (Philox4x32-10; see cpu/random.cpp for the exact stream) ---------------
using PhiloxKey = std::array<uint32_t, 2>;
using PhiloxCounter = std::array<uint32_t, 4>;
struct RandomResult {
  Array values;
  uint64_t blocks;  // counter increments consumed; advance the counter by this much
};
RandomResult random_uniform(const Shape& shape, DType dtype, PhiloxKey key, PhiloxCounter ctr);
RandomResult random_uniform_int(const Shape& shape, DType dtype, int64_t lo, int64_t hi,
                                PhiloxKey key, PhiloxCounter ctr);
RandomResult random_normal(const Shape& shape, DType dtype, PhiloxKey key, PhiloxCounter ctr);
RandomResult random_truncated_normal(const Shape& shape, DType dtype, PhiloxKey key,
                                     PhiloxCounter ctr);
std::array<uint32_t, 4> philox_block(PhiloxCounter ctr, PhiloxKey key);

// ---- devices -------------------------------------------------------------------------
// A copy of x on `device` (x itself when it is already there). Raises TF's "Could not
// satisfy device specification" error for a GPU this process does not have.
Array to_device(const Array& x, Device device);
// The tf.device scope of the calling thread: ops and new arrays go to this device
// (copying inputs there); unset, ops run where their inputs are (any GPU input wins).
void set_default_device(std::optional<Device> device);
std::optional<Device> default_device();

// ---- runtime information ----------------------------------------------------------
const char* kernel_isa();  // "avx512", "avx2" or "generic"
bool cuda_available();      // a CUDA device is present and this build has CUDA

}  // namespace tapeflow::ops

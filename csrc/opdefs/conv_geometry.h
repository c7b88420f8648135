// The geometry of a channels-last convolution or pooling window, shared by the CPU and
// CUDA kernels (ops.cpp checks and fills it). Every op sees three spatial dimensions:
// 1-D and 2-D ops lead with size-1 ones (a 1-D width W is (1, 1, W)), so one kernel
// serves conv1d/2d/3d and pool1d/2d/3d.
//
//   x  (n, in[0], in[1], in[2], cin)            input, contiguous
//   w  (k[0], k[1], k[2], cin / groups, cout)   filter (convolution only), contiguous
//   y  (n, out[0], out[1], out[2], cout)        output, contiguous
//
// Output position o along dimension d reads inputs o * stride[d] - pad[d] + j * dil[d]
// for j < k[d]; positions outside [0, in[d]) are padding (zero for a convolution, left
// out of a pool). Grouped convolutions (depthwise ones included: groups == cin) split the
// channels into `groups` blocks: output channel co reads input channels of block
// co / (cout / groups).
#pragma once
#include <cstdint>

namespace tapeflow {

struct ConvGeom {
  int64_t n = 0;
  int64_t in[3] = {1, 1, 1};
  int64_t out[3] = {1, 1, 1};
  int64_t k[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1};
  int64_t dil[3] = {1, 1, 1};
  int64_t pad[3] = {0, 0, 0};  // before; the padding after is implied by out
  int64_t cin = 0, cout = 0, groups = 1;

  int64_t in_volume() const { return in[0] * in[1] * in[2]; }
  int64_t out_volume() const { return out[0] * out[1] * out[2]; }
  int64_t k_volume() const { return k[0] * k[1] * k[2]; }
  int64_t cin_g() const { return cin / groups; }
  int64_t cout_g() const { return cout / groups; }
  // The GEMM depth of one group: rows of the filter seen as (k_volume * cin_g, cout).
  int64_t depth() const { return k_volume() * cin_g(); }
  // A 1x1x1 window with unit strides and no padding: the input is the patch matrix.
  bool pointwise() const {
    return k_volume() == 1 && stride[0] == 1 && stride[1] == 1 && stride[2] == 1 &&
           pad[0] == 0 && pad[1] == 0 && pad[2] == 0 && in[0] == out[0] && in[1] == out[1] &&
           in[2] == out[2];
  }
};

}  // namespace tapeflow

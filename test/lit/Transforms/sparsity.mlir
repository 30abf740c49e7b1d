// RUN: trellis-opt %s --split-input-file --trellis-sparsity="sparsity=2:4 sparsity-prune" 2> %t.prune | FileCheck %s --check-prefix=PRUNE
// RUN: FileCheck %s --input-file=%t.prune --check-prefix=PRUNE-REPORT
// RUN: trellis-opt %s --split-input-file --trellis-sparsity="sparsity=2:4" 2> %t.keep | FileCheck %s --check-prefix=KEEP
// RUN: FileCheck %s --input-file=%t.keep --check-prefix=KEEP-REPORT
// RUN: trellis-opt %s --split-input-file --trellis-sparsity="sparsity=2:4 sparsity-prune sparsity-layers=^fc2$" 2> %t.regex | FileCheck %s --check-prefix=REGEX
// RUN: FileCheck %s --input-file=%t.regex --check-prefix=REGEX-REPORT

// Tests magnitude pruning per group of 4 along K (hand-worked: column 0 has
// magnitudes 1 3 2 0.5 and keeps 3, -2; column 1 has 4 0.5 1 2 and keeps -4,
// 2; kept fraction (3 + 2 + 4 + 2) / 14 = 0.7857), and that a weight already
// 2:4 sparse is accepted unchanged without --sparsity-prune.
// PRUNE-LABEL: func.func @dense_weight
// PRUNE:         %[[W:.+]] = graph.constant dense<{{\[}}[0.000000e+00, -4.000000e+00], [3.000000e+00, 0.000000e+00], [-2.000000e+00, 0.000000e+00], [0.000000e+00, 2.000000e+00]]> : tensor<4x2xf32>
// PRUNE:         graph.linear %{{.+}}, %[[W]] {trellis.sparsity = "2:4"}
// KEEP-LABEL:  func.func @dense_weight
// KEEP:          graph.constant dense<{{\[}}[1.000000e+00, -4.000000e+00]
// KEEP-NOT:      trellis.sparsity
// REGEX-LABEL: func.func @dense_weight
// REGEX-NOT:     trellis.sparsity
// PRUNE-REPORT: sparsity 2:4 on trn2: 1 of 1 constant-weight matmul layers sparse (layers: all, pruned by magnitude)
// PRUNE-REPORT: fc1 graph.linear 8x4x2 2:4 0.7857 {{[0-9.]+}}x sparse (pruned)
// KEEP-REPORT: sparsity 2:4 on trn2: 0 of 1
// KEEP-REPORT: fc1 graph.linear 8x4x2 - - {{[0-9.]+}}x skipped: not 2:4 sparse (--sparsity-prune prunes it)
// REGEX-REPORT: sparsity 2:4 on trn2: 0 of 0 constant-weight matmul layers sparse (layers: ^fc2$, pruned by magnitude)
func.func @dense_weight(%x: tensor<8x4xf32>) -> tensor<8x2xf32> {
  %w = graph.constant dense<[[1.0, -4.0], [3.0, 0.5], [-2.0, 1.0], [0.5, 2.0]]> : tensor<4x2xf32> loc("fc1_w")
  %y = graph.linear %x, %w : (tensor<8x4xf32>, tensor<4x2xf32>) -> tensor<8x2xf32> loc("fc1")
  return %y : tensor<8x2xf32>
}

// -----

// Tests that an already 2:4-sparse weight of a graph.matmul is marked with
// and without pruning, keeps its values, and that --sparsity-layers selects
// by ONNX node name; a non-constant weight is not a candidate.
// PRUNE-LABEL: func.func @sparse_weight
// PRUNE:         graph.matmul {{.+}} {trellis.sparsity = "2:4"}
// PRUNE:         graph.matmul
// PRUNE-NOT:     trellis.sparsity
// KEEP-LABEL:  func.func @sparse_weight
// KEEP:          %[[W:.+]] = graph.constant dense<{{\[}}[0.000000e+00, 1.000000e+00], [2.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00], [3.000000e+00, 4.000000e+00]]>
// KEEP:          graph.matmul %{{.+}}, %[[W]] {trellis.sparsity = "2:4"}
// REGEX-LABEL: func.func @sparse_weight
// REGEX:         graph.matmul {{.+}} {trellis.sparsity = "2:4"}
// PRUNE-REPORT: sparsity 2:4 on trn2: 1 of 1
// PRUNE-REPORT: fc2 graph.matmul 6x4x2 2:4 1.0000 {{[0-9.]+}}x sparse (already)
// KEEP-REPORT: fc2 graph.matmul 6x4x2 2:4 1.0000 {{[0-9.]+}}x sparse (already)
// REGEX-REPORT: sparsity 2:4 on trn2: 1 of 1
// REGEX-REPORT: fc2 graph.matmul
func.func @sparse_weight(%x: tensor<2x3x4xf32>, %v: tensor<4x2xf32>) -> (tensor<2x3x2xf32>, tensor<2x3x2xf32>) {
  %w = graph.constant dense<[[0.0, 1.0], [2.0, 0.0], [0.0, 0.0], [3.0, 4.0]]> : tensor<4x2xf32>
  %y = graph.matmul %x, %w : (tensor<2x3x4xf32>, tensor<4x2xf32>) -> tensor<2x3x2xf32> loc("fc2")
  %z = graph.matmul %x, %v : (tensor<2x3x4xf32>, tensor<4x2xf32>) -> tensor<2x3x2xf32> loc("dyn")
  return %y, %z : tensor<2x3x2xf32>, tensor<2x3x2xf32>
}

// -----

// Tests that a contraction axis that is not whole groups is padded to them
// with zero rows: K = 6 -> 8; rows 0-3 keep the lower two of four ties,
// rows 4-5 both (the padding is zero), kept fraction 8 / 12.
// PRUNE-LABEL: func.func @ragged_k
// PRUNE:         %[[W:.+]] = graph.constant dense<{{\[}}[1.000000e+00, 1.000000e+00], [1.000000e+00, 1.000000e+00], [0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00], [1.000000e+00, 1.000000e+00], [1.000000e+00, 1.000000e+00]]> : tensor<6x2xf32>
// PRUNE:         graph.linear %{{.+}}, %[[W]] {trellis.sparsity = "2:4"}
// PRUNE-REPORT: fc3 graph.linear 2x6x2 2:4 0.6667 {{[0-9.]+}}x sparse (pruned), K padded 6 -> 8
// KEEP-REPORT: fc3 graph.linear 2x6x2 - - {{[0-9.]+}}x skipped: not 2:4 sparse (--sparsity-prune prunes it)
func.func @ragged_k(%x: tensor<2x6xf32>) -> tensor<2x2xf32> {
  %w = graph.constant dense<1.0> : tensor<6x2xf32>
  %y = graph.linear %x, %w : (tensor<2x6xf32>, tensor<6x2xf32>) -> tensor<2x2xf32> loc("fc3")
  return %y : tensor<2x2xf32>
}

// -----

// Tests a convolution: groups of 4 run along the input channels of each
// (output channel, tap). w[F=2, C=4, 1, 2] by hand, per (f, tap) over c:
//   f0 tap 0: 1 -4 3 0.5 -> 0 -4 3 0     f0 tap 1: 2 0 0 1 (already 2:4)
//   f1 tap 0: 0.5 0.25 1 2 -> 0 0 1 2    f1 tap 1: -1 3 -2 0 -> 0 3 -2 0
// kept fraction 18 / 21.25 = 0.8471; the report shows the im2col GEMM:
// 6 output pixels x (C 4 x 2 taps) x F 2. A grouped convolution and one whose
// C is not whole groups (the tiler puts whole groups on a partition) stay
// dense.
// PRUNE-LABEL: func.func @conv
// PRUNE:         %[[W:.+]] = graph.constant dense<{{\[\[\[\[}}0.000000e+00, 2.000000e+00]], {{\[\[}}-4.000000e+00, 0.000000e+00]], {{\[\[}}3.000000e+00, 0.000000e+00]], {{\[\[}}0.000000e+00, 1.000000e+00]]], {{\[\[\[}}0.000000e+00, 0.000000e+00]], {{\[\[}}0.000000e+00, 3.000000e+00]], {{\[\[}}1.000000e+00, -2.000000e+00]], {{\[\[}}2.000000e+00, 0.000000e+00]]]]> : tensor<2x4x1x2xf32>
// PRUNE:         graph.conv2d %{{.+}}, %[[W]] {{.+}}trellis.sparsity = "2:4"
// PRUNE:         graph.conv2d
// PRUNE-NOT:     trellis.sparsity
// PRUNE:         graph.conv2d
// PRUNE-NOT:     trellis.sparsity
// PRUNE:         return
// PRUNE-REPORT: conv graph.conv2d 6x8x2 2:4 0.8471 {{[0-9.]+}}x sparse (pruned)
// PRUNE-REPORT: grouped graph.conv2d 4x4x2 - - {{[0-9.]+}}x skipped: grouped convolution (group 2)
// PRUNE-REPORT: rgb graph.conv2d 4x3x2 - - {{[0-9.]+}}x skipped: C = 3 is not a multiple of 4
func.func @conv(%x: tensor<1x4x3x3xf32>, %g: tensor<1x8x2x2xf32>, %r: tensor<1x3x2x2xf32>) -> (tensor<1x2x3x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w = graph.constant dense<[[[[1.0, 2.0]], [[-4.0, 0.0]], [[3.0, 0.0]], [[0.5, 1.0]]], [[[0.5, -1.0]], [[0.25, 3.0]], [[1.0, -2.0]], [[2.0, 0.0]]]]> : tensor<2x4x1x2xf32>
  %y = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x3x3xf32>, tensor<2x4x1x2xf32>) -> tensor<1x2x3x2xf32> loc("conv")
  %wg = graph.constant dense<1.0> : tensor<2x4x1x1xf32>
  %z = graph.conv2d %g, %wg {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x8x2x2xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x2x2xf32> loc("grouped")
  %wr = graph.constant dense<1.0> : tensor<2x3x1x1xf32>
  %v = graph.conv2d %r, %wr {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x2x2xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x2x2xf32> loc("rgb")
  return %y, %z, %v : tensor<1x2x3x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}

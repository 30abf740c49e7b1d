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

// Tests that a contraction axis that is not whole groups stays dense.
// PRUNE-LABEL: func.func @ragged_k
// PRUNE-NOT:     trellis.sparsity
// PRUNE-REPORT: fc3 graph.linear 2x6x2 - - {{[0-9.]+}}x skipped: K = 6 is not a multiple of 4
func.func @ragged_k(%x: tensor<2x6xf32>) -> tensor<2x2xf32> {
  %w = graph.constant dense<1.0> : tensor<6x2xf32>
  %y = graph.linear %x, %w : (tensor<2x6xf32>, tensor<6x2xf32>) -> tensor<2x2xf32> loc("fc3")
  return %y : tensor<2x2xf32>
}

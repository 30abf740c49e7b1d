// RUN: trellis-opt %s --split-input-file --canonicalize | FileCheck %s

// Tests that a transpose of a constant folds to the permuted constant.
// CHECK-LABEL: func.func @transpose_2d
// CHECK:         %[[C:.+]] = graph.constant dense<{{\[\[}}1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>
// CHECK-NOT:     graph.transpose
// CHECK:         return %[[C]]
func.func @transpose_2d() -> tensor<3x2xf32> {
  %c = graph.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %t = graph.transpose %c {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %t : tensor<3x2xf32>
}

// -----

// Tests a rank-3 permutation of a bf16 constant: out[i][j][k] = in[j][k][i].
// in = [[[0,1],[2,3],[4,5]]] (1x3x2), perm [2,0,1] -> 2x1x3:
// out[0][0] = [0,2,4], out[1][0] = [1,3,5].
// CHECK-LABEL: func.func @transpose_3d
// CHECK:         graph.constant dense<{{\[\[\[}}0.000000e+00, 2.000000e+00, 4.000000e+00]], {{\[\[}}1.000000e+00, 3.000000e+00, 5.000000e+00]]]> : tensor<2x1x3xbf16>
func.func @transpose_3d() -> tensor<2x1x3xbf16> {
  %c = graph.constant dense<[[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]]> : tensor<1x3x2xbf16>
  %t = graph.transpose %c {perm = array<i64: 2, 0, 1>} : (tensor<1x3x2xbf16>) -> tensor<2x1x3xbf16>
  return %t : tensor<2x1x3xbf16>
}

// -----

// Tests that a splat constant is reshaped, and an identity permutation folds away.
// CHECK-LABEL: func.func @splat_and_identity
// CHECK-DAG:     graph.constant dense<7.000000e+00> : tensor<4x2xf32>
// CHECK-NOT:     graph.transpose
func.func @splat_and_identity(%a: tensor<2x3xf32>) -> (tensor<4x2xf32>, tensor<2x3xf32>) {
  %c = graph.constant dense<7.0> : tensor<2x4xf32>
  %t = graph.transpose %c {perm = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
  %u = graph.transpose %a {perm = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %t, %u : tensor<4x2xf32>, tensor<2x3xf32>
}

// RUN: trellis-opt %s --split-input-file --trellis-fuse-linear | FileCheck %s

// Tests that matmul + bias add + relu fuse into one graph.linear.
// CHECK-LABEL: func.func @mlp_layer
// CHECK-SAME:    (%[[X:.+]]: tensor<8x16xf32>, %[[W:.+]]: tensor<16x4xf32>, %[[B:.+]]: tensor<4xf32>)
// CHECK:         %[[L:.+]] = graph.linear %[[X]], %[[W]], %[[B]] {activation = #graph.activation<relu>}
// CHECK-NOT:     graph.add
// CHECK-NOT:     graph.relu
// CHECK:         return %[[L]]
func.func @mlp_layer(%x: tensor<8x16xf32>, %w: tensor<16x4xf32>, %b: tensor<4xf32>) -> tensor<8x4xf32> {
  %m = graph.matmul %x, %w : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
  %s = graph.add %b, %m : (tensor<4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  %r = graph.relu %s : (tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

// -----

// Tests that a batched matmul is left alone.
// CHECK-LABEL: func.func @batched
// CHECK:         graph.matmul
// CHECK-NOT:     graph.linear
func.func @batched(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>) -> tensor<2x3x5xf32> {
  %m = graph.matmul %a, %b : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  return %m : tensor<2x3x5xf32>
}

// -----

// Tests that an add whose operand does not broadcast into the matmul result
// (it would grow the result) is not fused.
// CHECK-LABEL: func.func @growing_add
// CHECK:         %[[L:.+]] = graph.linear
// CHECK-NOT:     graph.linear
// CHECK:         graph.add %[[L]]
func.func @growing_add(%x: tensor<1x16xf32>, %w: tensor<16x4xf32>, %b: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %m = graph.matmul %x, %w : (tensor<1x16xf32>, tensor<16x4xf32>) -> tensor<1x4xf32>
  %s = graph.add %m, %b : (tensor<1x4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  return %s : tensor<8x4xf32>
}

// -----

// Tests that a matmul used twice keeps its add separate.
// CHECK-LABEL: func.func @shared
// CHECK:         %[[L:.+]] = graph.linear
// CHECK:         graph.add %[[L]]
// CHECK:         graph.relu %[[L]]
func.func @shared(%x: tensor<8x16xf32>, %w: tensor<16x4xf32>, %b: tensor<4xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>) {
  %m = graph.matmul %x, %w : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
  %s = graph.add %m, %b : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %r = graph.relu %m : (tensor<8x4xf32>) -> tensor<8x4xf32>
  return %s, %r : tensor<8x4xf32>, tensor<8x4xf32>
}

// -----

// Tests that a batched x against one 2-D weight becomes one linear over the
// flattened rows, with a bias along N and the relu fused.
// CHECK-LABEL: func.func @batched_x
// CHECK:         %[[L:.+]] = graph.linear %arg0, %arg1, %arg2 {activation = #graph.activation<relu>} : (tensor<2x3x4xf32>, tensor<4x5xf32>, tensor<5xf32>) -> tensor<2x3x5xf32>
// CHECK-NEXT:    return %[[L]]
func.func @batched_x(%x: tensor<2x3x4xf32>, %w: tensor<4x5xf32>, %b: tensor<5xf32>) -> tensor<2x3x5xf32> {
  %m = graph.matmul %x, %w : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
  %s = graph.add %m, %b : (tensor<2x3x5xf32>, tensor<5xf32>) -> tensor<2x3x5xf32>
  %r = graph.relu %s : (tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %r : tensor<2x3x5xf32>
}

// -----

// Tests that a bias varying along M is not fused into a batched-x linear
// (the flattened rows would need it repeated per batch).
// CHECK-LABEL: func.func @batched_x_row_bias
// CHECK:         %[[L:.+]] = graph.linear %arg0, %arg1 :
// CHECK:         graph.add %[[L]], %arg2
func.func @batched_x_row_bias(%x: tensor<2x3x4xf32>, %w: tensor<4x5xf32>, %b: tensor<3x5xf32>) -> tensor<2x3x5xf32> {
  %m = graph.matmul %x, %w : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
  %s = graph.add %m, %b : (tensor<2x3x5xf32>, tensor<3x5xf32>) -> tensor<2x3x5xf32>
  return %s : tensor<2x3x5xf32>
}

// -----

// Tests that a GELU (exact or tanh) after a linear becomes its activation,
// and that one reading a linear with another user stays separate.
// CHECK-LABEL: func.func @gelu
// CHECK:         %[[A:.+]] = graph.linear %arg0, %arg1, %arg2 {activation = #graph.activation<gelu>}
// CHECK:         %[[B:.+]] = graph.linear %[[A]], %arg3 {activation = #graph.activation<gelu_tanh>}
// CHECK:         %[[C:.+]] = graph.linear %[[B]], %arg4 :
// CHECK:         %[[G:.+]] = graph.gelu %[[C]] :
// CHECK:         return %[[C]], %[[G]]
func.func @gelu(%x: tensor<8x16xf32>, %w: tensor<16x4xf32>, %b: tensor<4xf32>, %w2: tensor<4x4xf32>, %w3: tensor<4x4xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>) {
  %m = graph.matmul %x, %w : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
  %s = graph.add %m, %b : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %g = graph.gelu %s : (tensor<8x4xf32>) -> tensor<8x4xf32>
  %m2 = graph.matmul %g, %w2 : (tensor<8x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
  %g2 = graph.gelu %m2 tanh : (tensor<8x4xf32>) -> tensor<8x4xf32>
  %m3 = graph.matmul %g2, %w3 : (tensor<8x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
  %g3 = graph.gelu %m3 : (tensor<8x4xf32>) -> tensor<8x4xf32>
  return %m3, %g3 : tensor<8x4xf32>, tensor<8x4xf32>
}

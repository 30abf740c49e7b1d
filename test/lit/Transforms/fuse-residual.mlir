// RUN: trellis-opt %s --split-input-file --trellis-fuse-residual | FileCheck %s

// Tests that ResNet's relu(conv(x) + identity) becomes one conv2d with the
// identity as its residual and relu as its activation.
// CHECK-LABEL: func.func @basic_block
// CHECK-SAME:    (%[[X:.+]]: tensor<1x4x6x6xf32>, %[[W:.+]]: tensor<4x4x3x3xf32>, %[[B:.+]]: tensor<4xf32>)
// CHECK:         %[[C:.+]] = graph.conv2d %[[X]], %[[W]], %[[B]] residual %[[X]] {activation = #graph.activation<relu>
// CHECK-SAME:      : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
// CHECK-NOT:     graph.add
// CHECK-NOT:     graph.relu
// CHECK:         return %[[C]]
func.func @basic_block(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x6x6xf32> {
  %c = graph.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32>
  %s = graph.add %c, %x : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %r = graph.relu %s : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %r : tensor<1x4x6x6xf32>
}

// -----

// Tests the other operand order, without a relu, and that the convolution
// moves after a residual computed later.
// CHECK-LABEL: func.func @later_residual
// CHECK:         %[[D:.+]] = graph.relu %arg0
// CHECK-NEXT:    %[[C:.+]] = graph.conv2d %arg0, %arg1 residual %[[D]] {
// CHECK-NOT:     activation
// CHECK-SAME:    -> tensor<1x4x6x6xf32>
// CHECK-NEXT:    return %[[C]]
func.func @later_residual(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %c = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32>
  %d = graph.relu %x : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %s = graph.add %d, %c : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %s : tensor<1x4x6x6xf32>
}

// -----

// Tests what stays unfused: a convolution read elsewhere too, one whose
// relu comes before the add, and an add that broadcasts a bias-like
// operand (not the result's type).
// CHECK-LABEL: func.func @unfused
// CHECK-COUNT-3: graph.add
// CHECK-NOT:     residual
func.func @unfused(%x: tensor<1x4x6x6xf32>, %w: tensor<4x4x1x1xf32>, %b: tensor<1x4x1x1xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) {
  %c = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32>
  %s = graph.add %c, %x : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %r = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, activation = #graph.activation<relu>} : (tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32>
  %t = graph.add %r, %x : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  %u = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32>
  %v = graph.add %u, %b : (tensor<1x4x6x6xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x6x6xf32>
  return %c, %s, %t, %v : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>
}

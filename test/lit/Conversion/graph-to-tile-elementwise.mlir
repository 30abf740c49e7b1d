// RUN: trellis-opt %s --split-input-file --convert-graph-to-tile | FileCheck %s

// Tests that an N = 1 NCHW add is flattened (unit dims dropped, contiguous
// dims merged) and split 128 x 1568, so all 128 partitions work and each
// partition moves one contiguous 6 KiB run, instead of one partition (N).
// CHECK-LABEL: func.func @nchw_add
// CHECK-SAME:    (%[[A:.+]]: memref<1x64x56x56xf32, #tile.mem<hbm>> {{.*}}, %[[B:.+]]: memref<1x64x56x56xf32, #tile.mem<hbm>> {{.*}}, %[[Y:.+]]: memref<1x64x56x56xf32, #tile.mem<hbm>> {{.*}})
// CHECK:         tile.load %{{.+}} <[0+128] +0 {{\[\[}}1568,1]]>, %[[A]] <[0+128 x 1568] +0 {{\[\[}}1568,1]]>
// CHECK:         tile.load %{{.+}} <[0+128] +0 {{\[\[}}1568,1]]>, %[[B]] <[0+128 x 1568] +0 {{\[\[}}1568,1]]>
// CHECK:         tile.tensor_tensor add %{{.+}} <[0+128] +0 {{\[\[}}1568,1]]>
// CHECK:         tile.store %[[Y]] <[0+128 x 1568] +0 {{\[\[}}1568,1]]>
// CHECK-NOT:     tile.load
func.func @nchw_add(%a: tensor<1x64x56x56xf32> {trellis.name = "a"}, %b: tensor<1x64x56x56xf32> {trellis.name = "b"}) -> (tensor<1x64x56x56xf32> {trellis.name = "y"}) {
  %y = graph.add %a, %b : (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  return %y : tensor<1x64x56x56xf32>
}

// -----

// Tests that a per-channel broadcast keeps the channels on partitions with
// long contiguous runs (2048 + 1088 elements of H x W) rather than splitting
// H x W over 112 partitions into 112-byte runs; the bias is read with a zero
// free stride.
// CHECK-LABEL: func.func @channel_bias
// CHECK-SAME:    (%[[A:.+]]: memref<1x64x56x56xf32, #tile.mem<hbm>> {{.*}}, %[[B:.+]]: memref<1x64x1x1xf32, #tile.mem<hbm>> {{.*}}, %[[Y:.+]]: memref
// CHECK:         tile.load %{{.+}}, %[[A]] <[0+64 x 3136] +0 {{\[\[}}2048,1]]>
// CHECK:         tile.load %{{.+}}, %[[B]] <[0+64 x 1] +0 {{\[\[}}2048,0]]>
// CHECK:         tile.store %[[Y]] <[0+64 x 3136] +0 {{\[\[}}2048,1]]>
// CHECK:         tile.load %{{.+}}, %[[A]] <[0+64 x 3136] +2048 {{\[\[}}1088,1]]>
// CHECK:         tile.load %{{.+}}, %[[B]] <[0+64 x 1] +0 {{\[\[}}1088,0]]>
// CHECK:         tile.store %[[Y]] <[0+64 x 3136] +2048 {{\[\[}}1088,1]]>
func.func @channel_bias(%a: tensor<1x64x56x56xf32> {trellis.name = "a"}, %b: tensor<1x64x1x1xf32> {trellis.name = "b"}) -> (tensor<1x64x56x56xf32> {trellis.name = "y"}) {
  %y = graph.add %a, %b : (tensor<1x64x56x56xf32>, tensor<1x64x1x1xf32>) -> tensor<1x64x56x56xf32>
  return %y : tensor<1x64x56x56xf32>
}

// -----

// Tests that a rank-1 tensor is spread over the partitions (128 x 32), not
// walked as one [1, n] row.
// CHECK-LABEL: func.func @flat
// CHECK:         tile.load %{{.+}} <[0+128] +0 {{\[\[}}32,1]]>, %{{.+}} <[0+128 x 32] +0 {{\[\[}}32,1]]>
// CHECK:         tile.activation relu
// CHECK:         tile.store %{{.+}} <[0+128 x 32] +0 {{\[\[}}32,1]]>
func.func @flat(%a: tensor<4096xf32> {trellis.name = "a"}) -> (tensor<4096xf32> {trellis.name = "y"}) {
  %y = graph.relu %a : (tensor<4096xf32>) -> tensor<4096xf32>
  return %y : tensor<4096xf32>
}

// -----

// Tests that attention scores [1, 12, 128, 128] (unit batch) are one
// [128, 1536] tile rather than 12 x 128 single-partition rows.
// CHECK-LABEL: func.func @attention_scores
// CHECK:         tile.load %{{.+}} <[0+128] +0 {{\[\[}}1536,1]]>, %{{.+}} <[0+128 x 1536] +0 {{\[\[}}1536,1]]>
// CHECK:         tile.activation relu
// CHECK:         tile.store %{{.+}} <[0+128 x 1536] +0 {{\[\[}}1536,1]]>
// CHECK-NOT:     tile.load
func.func @attention_scores(%a: tensor<1x12x128x128xf32> {trellis.name = "a"}) -> (tensor<1x12x128x128xf32> {trellis.name = "y"}) {
  %y = graph.relu %a : (tensor<1x12x128x128xf32>) -> tensor<1x12x128x128xf32>
  return %y : tensor<1x12x128x128xf32>
}

// -----

// Tests that a small, already well-shaped walk keeps dim 0 on partitions.
// CHECK-LABEL: func.func @small
// CHECK:         tile.load %{{.+}} <[0+3] +0 {{\[\[}}5,1]]>, %{{.+}} <[0+3 x 5] +0 {{\[\[}}5,1]]>
func.func @small(%a: tensor<3x5xf32> {trellis.name = "a"}) -> (tensor<3x5xf32> {trellis.name = "y"}) {
  %y = graph.relu %a : (tensor<3x5xf32>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

// Tests that dividing by a splat constant (attention's scale) is one
// tensor_scalar with the constant as immediate: the constant is never loaded.
// CHECK-LABEL: func.func @div_by_scalar
// CHECK-SAME:    (%[[A:[^:]+]]: memref<1x12x128x128xf32, #tile.mem<hbm>>
// CHECK:         tile.load %{{.+}}, %[[A]] <[0+128 x 1536] +0 {{\[\[}}1536,1]]>
// CHECK-NEXT:    %[[D:.+]] = tile.alloc : memref<128x1536xf32, #tile.mem<sbuf>>
// CHECK-NEXT:    tile.tensor_scalar divide 8.000000e+00, bypass 0.000000e+00 %[[D]]
// CHECK-NEXT:    tile.store
// CHECK-NOT:     tile.load
func.func @div_by_scalar(%a: tensor<1x12x128x128xf32> {trellis.name = "a"}) -> (tensor<1x12x128x128xf32> {trellis.name = "y"}) {
  %c = graph.constant dense<8.0> : tensor<f32>
  %y = graph.binary div %a, %c : (tensor<1x12x128x128xf32>, tensor<f32>) -> tensor<1x12x128x128xf32>
  return %y : tensor<1x12x128x128xf32>
}

// -----

// Tests that a splat constant on the left of a subtraction becomes
// (x * -1) + c, which rounds exactly like c - x.
// CHECK-LABEL: func.func @scalar_minus
// CHECK:         tile.tensor_scalar mult -1.000000e+00, add 1.000000e+00
// CHECK-NOT:     tile.tensor_tensor
func.func @scalar_minus(%a: tensor<4x8xf32> {trellis.name = "a"}) -> (tensor<4x8xf32> {trellis.name = "y"}) {
  %c = graph.constant dense<1.0> : tensor<4x8xf32>
  %y = graph.binary sub %c, %a : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Tests that a non-splat constant keeps the two-input tensor_tensor.
// CHECK-LABEL: func.func @vector_constant
// CHECK:         tile.tensor_tensor add
func.func @vector_constant(%a: tensor<2x2xf32> {trellis.name = "a"}) -> (tensor<2x2xf32> {trellis.name = "y"}) {
  %c = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %y = graph.add %a, %c : (tensor<2x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// RUN: trellis-opt %s --convert-graph-to-tile | FileCheck %s

// Tests that a linear with x [2, 3, 4] runs as one [6, 4] x [4, 5] product:
// one moving tile x^T [4, 6] (partition stride 1, column stride 4 over the
// flattened rows), the bias [5] as the evicting activation's column and the
// result stored transposed into [2, 3, 5] as [6, 5].
// CHECK-LABEL: func.func @batched_x
// CHECK:         tile.load %[[XT:.+]] <[0+4] +0 {{\[\[}}6,1]]>, %arg0 <[0+4 x 1] +0 {{\[\[}}6,4]]>
// CHECK:         tile.load %[[B:.+]] <[0+5] +0 {{\[\[}}1,1]]>, %{{.+}} <[0+5 x 1] +0 {{\[\[}}1,1]]>
// CHECK:         tile.matmul %[[PS:.+]] <[0+5] +0 {{\[\[}}6,1]]>, %{{.+}} <[0+4] +0 {{\[\[}}5,1]]>, %[[XT]] <[0+4] +0 {{\[\[}}6,1]]> start
// CHECK:         tile.activation {{ *}}relu %[[O:.+]] <[0+5] +0 {{\[\[}}6,1]]>, %[[PS]] <[0+5] +0 {{\[\[}}6,1]]> bias %[[B]]
// CHECK:         tile.store %arg1 <[0+5 x 1] +0 {{\[\[}}6,5]]>, %[[O]]
// CHECK-NOT:     tile.matmul
func.func @batched_x(%x: tensor<2x3x4xf32> {trellis.name = "x"}) -> (tensor<2x3x5xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<1.0> : tensor<4x5xf32>
  %b = graph.constant dense<2.0> : tensor<5xf32>
  %y = graph.linear %x, %w, %b {activation = #graph.activation<relu>} : (tensor<2x3x4xf32>, tensor<4x5xf32>, tensor<5xf32>) -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// Tests a fused GELU with a general (row-varying) bias and a narrow result:
// the evacuation, the bias add and the GELU's input stay in an f32 tile,
// and only the GELU rounds, into the bf16 output tile; a column bias
// (varying along N only) rides on the evacuating GELU itself.
// CHECK-LABEL: func.func @gelu_bias
// CHECK:         tile.matmul %[[PS:[^ ]+]]
// CHECK:         %[[OUT:.+]] = tile.alloc : memref<6x4xbf16, #tile.mem<sbuf>>
// CHECK:         %[[ACC:.+]] = tile.alloc : memref<6x4xf32, #tile.mem<sbuf>>
// CHECK:         tile.activation  identity %[[ACC]] <[0+6] +0 {{\[\[}}4,1]]>, %[[PS]]
// CHECK:         tile.load %[[BT:.+]] <[0+6] +0 {{\[\[}}4,1]]>, %arg2 <[0+6 x 1] +0 {{\[\[}}4,6]]>
// CHECK:         tile.tensor_tensor  add %[[ACC]] {{.*}}, %[[ACC]] {{.*}}, %[[BT]]
// CHECK:         tile.activation  gelu %[[OUT]] <[0+6] +0 {{\[\[}}4,1]]>, %[[ACC]]
// CHECK:         tile.store %arg4 {{.*}}, %[[OUT]]
// CHECK:         tile.matmul %[[PS2:[^ ]+]]
// CHECK:         tile.activation  gelu_tanh %[[OUT2:[^ ]+]] {{.*}}, %[[PS2]] {{.*}} bias
// CHECK:         tile.store %arg5 {{.*}}, %[[OUT2]]
func.func @gelu_bias(%x: tensor<4x8xbf16> {trellis.name = "x"}, %w: tensor<8x6xbf16> {trellis.name = "w"}, %b: tensor<4x6xf32> {trellis.name = "b"}, %c: tensor<6xf32> {trellis.name = "c"}) -> (tensor<4x6xbf16> {trellis.name = "y"}, tensor<4x6xbf16> {trellis.name = "z"}) {
  %y = graph.linear %x, %w, %b {activation = #graph.activation<gelu>} : (tensor<4x8xbf16>, tensor<8x6xbf16>, tensor<4x6xf32>) -> tensor<4x6xbf16>
  %z = graph.linear %x, %w, %c {activation = #graph.activation<gelu_tanh>} : (tensor<4x8xbf16>, tensor<8x6xbf16>, tensor<6xf32>) -> tensor<4x6xbf16>
  return %y, %z : tensor<4x6xbf16>, tensor<4x6xbf16>
}

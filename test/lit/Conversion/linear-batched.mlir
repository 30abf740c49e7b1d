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

// RUN: trellis-opt %s --convert-graph-to-tile | FileCheck %s --check-prefix=TILE
// RUN: trellis-opt %s --convert-graph-to-tile --convert-tile-to-isa | FileCheck %s --check-prefix=ISA

// Tests the lowering of a convolution marked 2:4 by --trellis-sparsity:
// w[F=2, C=4, 1, 2], one group of 4 input channels per (f, tap). Compressed
// by hand, tap by tap ([kc = 2, F] values and one tag word per row):
//   tap 0: f0 keeps c0, c2 (1, 2), f1 keeps c2, c3 (5, 6):
//          values [[1, 5], [2, 6]], tags 0 | 2 << 4 = 32, 2 | 3 << 4 = 50
//   tap 1: f0 keeps c1, c3 (3, 4), f1 has one non-zero (7 at c0) and pads
//          with the first free position (c1):
//          values [[3, 7], [4, 0]], tags 1 | 0 << 4 = 1, 3 | 1 << 4 = 19
// packed [kc][tap][F]: values 1 5 3 7 | 2 6 4 0, tags 32 1 | 50 19. The slab
// holds channels 2p, 2p + 1 in partition p, one 2x3 plane after the other
// (partition stride 2 * H * W = 12 in x), and each tap's moving view is
// [ratio 2, 2 rows, 2 columns] of it, shifted by the tap's column.
// TILE-LABEL: func.func @sparse_conv
// TILE-DAG:     %[[V:.+]] = tile.constant dense<[1.000000e+00, 5.000000e+00, 3.000000e+00, 7.000000e+00, 2.000000e+00, 6.000000e+00, 4.000000e+00, 0.000000e+00]> : tensor<8xf32>
// TILE-DAG:     %[[T:.+]] = tile.constant dense<[32, 1, 50, 19]> : tensor<4xi16>
// TILE:         tile.load %[[VS:.+]] <[0+2] +0 {{\[\[}}4,1]]>, %[[V]] <[0+2 x 4] +0 {{\[\[}}4,1]]>
// TILE:         tile.load %[[TS:.+]] <[0+2] +0 {{\[\[}}2,1]]>, %[[T]] <[0+2 x 2] +0 {{\[\[}}2,1]]>
// TILE:         tile.load %[[SLAB:.+]] <[0+2] +0 {{\[\[}}2,6],[2,3],[3,1]]>, %arg0 <[0+2 x 12] +0 {{\[\[}}2,6],[2,3],[3,1]]>
// TILE:         tile.sparse_matmul %[[PS:.+]] <[0+2] +0 {{\[\[}}4,1]]>, %[[VS]] <[0+2] +0 {{\[\[}}2,1]]>, %[[TS]] <[0+2] +0 {{\[\[}}1,1]]>, %[[SLAB]] <[0+2] +0 {{\[\[}}2,6],[2,3],[2,1]]> keep 2 group 4 start
// TILE-NEXT:    tile.sparse_matmul %[[PS]] <[0+2] +0 {{\[\[}}4,1]]>, %[[VS]] <[0+2] +2 {{\[\[}}2,1]]>, %[[TS]] <[0+2] +1 {{\[\[}}1,1]]>, %[[SLAB]] <[0+2] +1 {{\[\[}}2,6],[2,3],[2,1]]> keep 2 group 4 :
// TILE-NOT:     tile.matmul
// The dense weight is not stored, only its compressed form.
// ISA-LABEL: isa.program @sparse_conv
// ISA-NOT:     tensor<2x4x1x2xf32>
// ISA-COUNT-2: isa.multiply_moving_sparse
func.func @sparse_conv(%x: tensor<1x4x2x3xf32> {trellis.name = "x"}) -> (tensor<1x2x2x2xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<[[[[1.0, 0.0]], [[0.0, 3.0]], [[2.0, 0.0]], [[0.0, 4.0]]], [[[0.0, 7.0]], [[0.0, 0.0]], [[5.0, 0.0]], [[6.0, 0.0]]]]> : tensor<2x4x1x2xf32>
  %y = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, trellis.sparsity = "2:4"} : (tensor<1x4x2x3xf32>, tensor<2x4x1x2xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  return %y : tensor<1x2x2x2xf32>
}

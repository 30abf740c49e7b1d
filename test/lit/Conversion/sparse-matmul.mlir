// RUN: trellis-opt %s --convert-graph-to-tile | FileCheck %s --check-prefix=TILE
// RUN: trellis-opt %s --convert-graph-to-tile --convert-tile-to-isa | FileCheck %s --check-prefix=ISA

// Tests the lowering of a linear marked 2:4 by --trellis-sparsity. Compressed
// by hand: column 0 keeps rows 1, 3 (5, 1) of group 0 and rows 0, 3 (2, 3) of
// group 1; column 1 has one non-zero per group (-1 at row 2, 4 at row 1) and
// pads with the first free position (0). Tag words, column 0 in bits 0-3 and
// column 1 in bits 4-7: 1 | 0 << 4 = 1, 3 | 2 << 4 = 35, 0, 3 | 1 << 4 = 19.
// The moving tile holds x^T rows 2p, 2p + 1 in partition p ([4, 2, 4]).
// TILE-LABEL: func.func @sparse_linear
// TILE-DAG:     %[[V:.+]] = tile.constant dense<{{\[}}[5.000000e+00, 0.000000e+00], [1.000000e+00, -1.000000e+00], [2.000000e+00, 0.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<4x2xf32>
// TILE-DAG:     %[[T:.+]] = tile.constant dense<{{\[}}[1], [35], [0], [19]]> : tensor<4x1xi16>
// TILE:         tile.load %[[XT:.+]] <[0+4] +0 {{\[\[}}8,1]]>, %arg0 <[0+4 x 2] +0 {{\[\[}}2,1],[4,8]]>
// TILE:         tile.load %[[VS:.+]] <[0+4] +0 {{\[\[}}2,1]]>, %[[V]]
// TILE:         tile.load %[[TS:.+]] <[0+4] +0 {{\[\[}}1,1]]>, %[[T]]
// TILE:         tile.sparse_matmul %{{.+}} <[0+2] +0 {{\[\[}}4,1]]>, %[[VS]] <[0+4] +0 {{\[\[}}2,1]]>, %[[TS]] <[0+4] +0 {{\[\[}}1,1]]>, %[[XT]] <[0+4] +0 {{\[\[}}8,1]]> keep 2 group 4 start
// ISA-LABEL: isa.program @sparse_linear
// The dense weight is not stored, only its compressed form.
// ISA-NOT:     tensor<8x2xf32>
// ISA:         isa.tensor @cst0 constant {{[0-9]+}} : tensor<4x2xf32>
// ISA:         isa.tensor @cst1 constant {{[0-9]+}} : tensor<4x1xi16>
// ISA:         isa.load_stationary_sparse pe <sbuf[0+4] +{{[0-9]+}} f32 {{\[\[}}2,1]]>, <sbuf[0+4] +{{[0-9]+}} i16 {{\[\[}}1,1]]> keep 2 group 4
// ISA-NEXT:    isa.multiply_moving_sparse pe <psum[0+2] +0 f32 {{\[\[}}4,1]]>, <sbuf[0+4] +0 f32 {{\[\[}}8,1]]> keep 2 group 4 start
func.func @sparse_linear(%x: tensor<4x8xf32> {trellis.name = "x"}) -> (tensor<4x2xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<[[0.0, 0.0], [5.0, 0.0], [0.0, -1.0], [1.0, 0.0], [2.0, 0.0], [0.0, 4.0], [0.0, 0.0], [3.0, 0.0]]> : tensor<8x2xf32>
  %y = graph.linear %x, %w {trellis.sparsity = "2:4"} : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32> loc("fc")
  return %y : tensor<4x2xf32>
}

// Tests a K that is not whole groups: K = 5 is padded to 8 with zero rows.
// Column 0 (0 2 0 3 | 5 0 0 0) keeps positions 1, 3 and 0, pad 1; column 1
// (1 0 0 4 | 6 0 0 0) keeps 0, 3 and 0, pad 1: values [2 1; 3 4; 5 6; 0 0],
// tag words 1 | 0 << 4 = 1, 3 | 3 << 4 = 51, 0, 1 | 1 << 4 = 17. The moving
// tile is zeroed, then x^T rows 0-3 fill partitions 0-1 and row 4 the first
// slot of partition 2.
// TILE-LABEL: func.func @padded_k
// TILE-DAG:     tile.constant dense<{{\[}}[2.000000e+00, 1.000000e+00], [3.000000e+00, 4.000000e+00], [5.000000e+00, 6.000000e+00], [0.000000e+00, 0.000000e+00]]> : tensor<4x2xf32>
// TILE-DAG:     tile.constant dense<{{\[}}[1], [51], [0], [17]]> : tensor<4x1xi16>
// TILE:         tile.memset %[[XT:.+]] <[0+4] +0 {{\[\[}}8,1]]>, 0.000000e+00
// TILE-NEXT:    tile.load %[[XT]] <[0+2] +0 {{\[\[}}8,1]]>, %arg0 <[0+2 x 2] +0 {{\[\[}}2,1],[4,5]]>
// TILE-NEXT:    tile.load %[[XT]] <[2+1] +0 {{\[\[}}4,1]]>, %arg0 <[0+1 x 2] +4 {{\[\[}}1,1],[4,5]]>
// TILE:         tile.sparse_matmul %{{.+}}, %[[XT]] <[0+4] +0 {{\[\[}}8,1]]> keep 2 group 4 start
func.func @padded_k(%x: tensor<4x5xf32> {trellis.name = "x"}) -> (tensor<4x2xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<[[0.0, 1.0], [2.0, 0.0], [0.0, 0.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<5x2xf32>
  %y = graph.linear %x, %w {trellis.sparsity = "2:4"} : (tensor<4x5xf32>, tensor<5x2xf32>) -> tensor<4x2xf32> loc("fc")
  return %y : tensor<4x2xf32>
}

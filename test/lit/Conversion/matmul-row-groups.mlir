// RUN: trellis-opt %s --convert-graph-to-tile | FileCheck %s

// Tests that compressed weights reloaded per row block (not resident: K = 8
// is 4 compressed rows, not whole 128-row tiles) are shared by a group of
// row blocks: one values + tags load serves one sparse MM per 512-row block,
// each into its own PSUM bank.
// CHECK-LABEL: func.func @grouped
// CHECK:         tile.load %[[X0:.+]] <[0+4] +0 {{\[\[}}1024,1]]>, %arg0 <[0+4 x 2] +0 {{\[\[}}2,1],[512,8]]>
// CHECK:         tile.load %[[X1:.+]] <[0+4] +0 {{\[\[}}1024,1]]>, %arg0 <[0+4 x 2] +4096 {{\[\[}}2,1],[512,8]]>
// CHECK:         tile.load %[[V:.+]] <[0+4] +0 {{\[\[}}2,1]]>
// CHECK:         tile.load %[[T:.+]] <[0+4] +0 {{\[\[}}1,1]]>
// CHECK-NEXT:    tile.sparse_matmul %[[P0:[0-9]+]] {{.+}}, %[[V]] {{.+}}, %[[T]] {{.+}}, %[[X0]] {{.+}} start
// CHECK-NEXT:    tile.sparse_matmul %[[P1:[0-9]+]] {{.+}}, %[[V]] {{.+}}, %[[T]] {{.+}}, %[[X1]] {{.+}} start
// CHECK-NOT:     tile.sparse_matmul
// CHECK:         tile.store %arg1 <[0+2 x 1] +0 {{\[\[}}512,2]]>
// CHECK:         tile.store %arg1 <[0+2 x 1] +1024 {{\[\[}}512,2]]>
func.func @grouped(%x: tensor<1024x8xf32> {trellis.name = "x"}) -> (tensor<1024x2xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<[[0.0, 0.0], [5.0, 0.0], [0.0, -1.0], [1.0, 0.0], [2.0, 0.0], [0.0, 4.0], [0.0, 0.0], [3.0, 0.0]]> : tensor<8x2xf32>
  %y = graph.linear %x, %w {trellis.sparsity = "2:4"} : (tensor<1024x8xf32>, tensor<8x2xf32>) -> tensor<1024x2xf32> loc("fc")
  return %y : tensor<1024x2xf32>
}

// Tests that with resident compressed weights (K = 512: 256 compressed
// rows, two whole tiles) the next 512-row block's moving tiles are loaded
// before this block's work: block 1's (x rows from 512: element 262144)
// right after block 0's, block 2's (element 524288) before block 1's MMs;
// the weights are loaded once.
// CHECK-LABEL: func.func @prefetched
// CHECK:         tile.load %{{.+}}, %arg0 <[0+128 x 2] +0 {{\[\[}}2,1],[512,512]]>
// CHECK:         tile.load %{{.+}}, %arg0 <[0+128 x 2] +256 {{\[\[}}2,1],[512,512]]>
// CHECK:         tile.load %{{.+}}, %arg0 <[0+128 x 2] +262144 {{\[\[}}2,1],[512,512]]>
// CHECK:         tile.load %{{.+}}, %arg0 <[0+128 x 2] +262400 {{\[\[}}2,1],[512,512]]>
// CHECK-COUNT-2: tile.sparse_matmul
// CHECK:         tile.store
// CHECK:         tile.load %{{.+}}, %arg0 <[0+128 x 2] +524288 {{\[\[}}2,1],[512,512]]>
// CHECK:         tile.load %{{.+}}, %arg0 <[0+128 x 2] +524544 {{\[\[}}2,1],[512,512]]>
// CHECK-NOT:     tile.load %{{.+}}, %{{.+}} : memref<128x256xbf16
// CHECK-COUNT-2: tile.sparse_matmul
// CHECK:         tile.store
// CHECK-COUNT-2: tile.sparse_matmul
// CHECK:         tile.store
// CHECK-NOT:     tile.load
func.func @prefetched(%x: tensor<1536x512xbf16> {trellis.name = "x"}) -> (tensor<1536x128xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<0.0> : tensor<512x128xbf16>
  %y = graph.linear %x, %w {trellis.sparsity = "2:4"} : (tensor<1536x512xbf16>, tensor<512x128xbf16>) -> tensor<1536x128xf32> loc("fc")
  return %y : tensor<1536x128xf32>
}

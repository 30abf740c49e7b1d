// RUN: trellis-opt %s --convert-graph-to-tile | FileCheck %s

// Tests that the blocked matmul loads the stationary tiles of consecutive
// full 128-row K tiles of a column block in one DMA of at least 2 KiB a
// partition (tiling::kEfficientDmaBytes) instead of one DMA per tile, and
// that a partial last K tile comes on its own.
// bf16, 64 columns: 128 bytes a tile-row, so up to 16 tiles a DMA; K = 700 has
// five full tiles ([128, 5, 64]: partition stride 64, tile stride 128 x 64 =
// 8192, row 640 at element 40960 for the 60-row rest).
// CHECK-LABEL: func.func @bf16_ragged
// CHECK:         tile.load %[[C:.+]] <[0+128] +0 {{\[\[}}320,1]]>, %{{.+}} <[0+128 x 64] +0 {{\[\[}}5,8192],[64,1]]>
// CHECK:         tile.matmul %[[PS:.+]] <[0+64] +0 {{\[\[}}4,1]]>, %[[C]] <[0+128] +0 {{\[\[}}64,1]]>, {{.+}} start
// CHECK-COUNT-4: tile.matmul %[[PS]] <[0+64] +0 {{\[\[}}4,1]]>, %[[C]] <[0+128] +{{(64|128|192|256)}} {{\[\[}}64,1]]>
// CHECK:         tile.load %[[R:.+]] <[0+60] +0 {{\[\[}}64,1]]>, %{{.+}} <[0+60 x 64] +40960 {{\[\[}}64,1]]>
// CHECK-NEXT:    tile.matmul %[[PS]] <[0+64] +0 {{\[\[}}4,1]]>, %[[R]] <[0+60] +0 {{\[\[}}64,1]]>
func.func @bf16_ragged(%x: tensor<4x700xbf16> {trellis.name = "x"}) -> (tensor<4x64xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<1.0> : tensor<700x64xbf16>
  %y = graph.linear %x, %w : (tensor<4x700xbf16>, tensor<700x64xbf16>) -> tensor<4x64xf32> loc("fc")
  return %y : tensor<4x64xf32>
}

// f32, 128 columns: 512 bytes a tile-row, so four tiles a DMA; K = 768's six
// tiles come as 4 + 2 (the second chunk at row 512: element 65536).
// CHECK-LABEL: func.func @f32_two_chunks
// CHECK:         tile.load %[[A:.+]] <[0+128] +0 {{\[\[}}512,1]]>, %{{.+}} <[0+128 x 128] +0 {{\[\[}}4,16384],[128,1]]>
// CHECK-COUNT-4: tile.matmul %{{.+}}, %[[A]]
// CHECK:         tile.load %[[B:.+]] <[0+128] +0 {{\[\[}}256,1]]>, %{{.+}} <[0+128 x 128] +65536 {{\[\[}}2,16384],[128,1]]>
// CHECK-COUNT-2: tile.matmul %{{.+}}, %[[B]]
func.func @f32_two_chunks(%x: tensor<4x768xf32> {trellis.name = "x"}) -> (tensor<4x128xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<1.0> : tensor<768x128xf32>
  %y = graph.linear %x, %w : (tensor<4x768xf32>, tensor<768x128xf32>) -> tensor<4x128xf32> loc("fc")
  return %y : tensor<4x128xf32>
}

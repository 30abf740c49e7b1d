// RUN: trellis-opt %s --trellis-sparsity="sparsity=4:16 sparsity-prune sparsity-layers=auto" --mlir-elide-elementsattrs-if-larger=16 2> %t.report | FileCheck %s
// RUN: FileCheck %s --input-file=%t.report --check-prefix=REPORT

// Tests that sparsity-layers=auto keeps the layer the cost model speeds up
// and leaves the one it cannot (K = 16: one 64-cycle MM either way). By
// hand for "big" (f32, trn2): dense PE 2 x 8 MMs x 512 x 4 cycles = 13.65 us
// under its DMA bound (1 MiB weights + 2 x 2 MiB transposed moving + 0.5
// MiB out) / 362.5 GB/s = 15.91 us; sparse DMA (256 KiB values + 32 KiB
// tags + 4 MiB + 0.5 MiB) = 13.83 us over PE 3.41 us: 1.15x.
// CHECK-LABEL: func.func @auto
// CHECK:         graph.linear %arg0, %{{.+}} : (tensor<8x16xf32>
// CHECK:         graph.linear %arg1, %{{.+}} {trellis.sparsity = "4:16"}
// REPORT: sparsity 4:16 on trn2: 1 of 2 constant-weight matmul layers sparse (layers: auto, pruned by magnitude)
// REPORT: small graph.linear 8x16x4 - - {{(0|1)\.[0-9]+}}x skipped: no predicted gain
// REPORT: big graph.linear 512x1024x256 4:16 0.2500 1.15x sparse (pruned)
func.func @auto(%x: tensor<8x16xf32>, %y: tensor<512x1024xf32>) -> (tensor<8x4xf32>, tensor<512x256xf32>) {
  %w = graph.constant dense<1.0> : tensor<16x4xf32>
  %a = graph.linear %x, %w : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32> loc("small")
  %v = graph.constant dense<2.0> : tensor<1024x256xf32>
  %b = graph.linear %y, %v : (tensor<512x1024xf32>, tensor<1024x256xf32>) -> tensor<512x256xf32> loc("big")
  return %a, %b : tensor<8x4xf32>, tensor<512x256xf32>
}

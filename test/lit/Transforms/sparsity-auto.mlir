// RUN: trellis-opt %s --trellis-sparsity="sparsity=4:16 sparsity-prune sparsity-layers=auto" --mlir-elide-elementsattrs-if-larger=16 2> %t.report | FileCheck %s
// RUN: FileCheck %s --input-file=%t.report --check-prefix=REPORT

// Tests that sparsity-layers=auto keeps the layer the cost model speeds up
// and leaves the one it slows down. By hand for "big" (f32, trn2; 16 queues,
// 1300 ns per transfer, 23 GB/s an engine, HBM 362.5 GB/s):
//   dense PE: 2 x 8 MMs x 512 x 4 cycles / 2.4 GHz = 13.65 us;
//   dense DMA: 1 MiB weights (2 column blocks x 2 DMAs of four 128-row
//   tiles: 2 KiB a partition) + 2 x 2 MiB transposed moving (8 transfers)
//   + 0.5 MiB out (2), 14 transfers: (14 x 1.3 us + 5.5 MiB / 23 GB/s) / 16
//   = 16.81 us (over 5.5 MiB / 362.5 GB/s = 15.91 us);
//   sparse PE: 2 x 2 MMs x 512 x 4 cycles = 3.41 us;
//   sparse DMA: 256 KiB values + 32 KiB tags (4 transfers) + 4 MiB + 0.5 MiB
//   (2 + 2), 8 transfers: (8 x 1.3 us + 4.78 MiB / 23 GB/s) / 16 = 14.27 us;
//   16.81 / 14.27 = 1.18x.
// "small" (8x16x4): three transfers dense (247.6 ns) against four sparse
// (values and tags apart: 328.3 ns), the PE 106.7 ns either way: 0.75x.
// CHECK-LABEL: func.func @auto
// CHECK:         graph.linear %arg0, %{{.+}} : (tensor<8x16xf32>
// CHECK:         graph.linear %arg1, %{{.+}} {trellis.sparsity = "4:16"}
// REPORT: sparsity 4:16 on trn2: 1 of 2 constant-weight matmul layers sparse (layers: auto, pruned by magnitude)
// REPORT: small graph.linear 8x16x4 - - 0.75x skipped: no predicted gain
// REPORT: big graph.linear 512x1024x256 4:16 0.2500 1.18x sparse (pruned)
func.func @auto(%x: tensor<8x16xf32>, %y: tensor<512x1024xf32>) -> (tensor<8x4xf32>, tensor<512x256xf32>) {
  %w = graph.constant dense<1.0> : tensor<16x4xf32>
  %a = graph.linear %x, %w : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32> loc("small")
  %v = graph.constant dense<2.0> : tensor<1024x256xf32>
  %b = graph.linear %y, %v : (tensor<512x1024xf32>, tensor<1024x256xf32>) -> tensor<512x256xf32> loc("big")
  return %a, %b : tensor<8x4xf32>, tensor<512x256xf32>
}

// RUN: trellis-opt %s --split-input-file --convert-graph-to-tile | FileCheck %s
// RUN: trellis-opt %s --split-input-file --convert-graph-to-tile | FileCheck %s --check-prefix=SCRATCH

// Tests the on-chip attention lowering (Sk <= 512, d <= 128): Q^T and K^T
// come in with d on the partitions, V with keys on the partitions; per
// 128-query tile the scores are one PSUM block, evicted with the scale, the
// per-key mask (a stride-0 partition view) added on the vector engine,
// softmax along the keys as emitSoftmax computes one row per partition
// (max and its negation on the GpSimd engine, -max as the exp's bias with
// the row sums accumulated, divide), the
// probabilities transposed by a product with the [4, 4] identity constant
// (1.0 = 0x3F800000 on the diagonal), then probs @ V in PSUM, evicted and
// stored: no HBM scratch.
// CHECK-LABEL: func.func @attention
// CHECK-SAME:    (%[[Q:.+]]: memref<1x4x8xf32, #tile.mem<hbm>> {trellis.input = "q"}, %[[K:.+]]: memref<1x6x8xf32, #tile.mem<hbm>> {trellis.input = "k"}, %[[V:.+]]: memref<1x6x4xf32, #tile.mem<hbm>> {trellis.input = "v"}, %[[M:.+]]: memref<6xf32, #tile.mem<hbm>> {trellis.input = "m"}, %[[O:.+]]: memref<1x4x4xf32, #tile.mem<hbm>> {trellis.output = "o"})
// CHECK:         %[[IC:.+]] = tile.constant dense<{{\[\[}}1.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 1.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00]]> : tensor<4x4xf32>
// CHECK:         tile.load %[[I:.+]] <[0+4] +0 {{\[\[}}4,1]]>, %[[IC]] <[0+4 x 4] +0 {{\[\[}}4,1]]>
// CHECK:         tile.load %[[QT:.+]] <[0+8] +0 {{\[\[}}4,1]]>, %[[Q]] <[0+8 x 1] +0 {{\[\[}}4,8]]>
// CHECK:         tile.load %[[KT:.+]] <[0+8] +0 {{\[\[}}6,1]]>, %[[K]] <[0+8 x 1] +0 {{\[\[}}6,8]]>
// CHECK:         tile.load %[[VT:.+]] <[0+6] +0 {{\[\[}}4,1]]>, %[[V]] <[0+6 x 4] +0 {{\[\[}}4,1]]>
// CHECK:         tile.matmul %[[PS:.+]] <[0+4] +0 {{\[\[}}6,1]]>, %[[QT]] <[0+8] +0 {{\[\[}}4,1]]>, %[[KT]] <[0+8] +0 {{\[\[}}6,1]]> start
// CHECK:         tile.activation  identity %[[S:.+]] <[0+4] +0 {{\[\[}}6,1]]>, %[[PS]] <[0+4] +0 {{\[\[}}6,1]]> scale 2.500000e-01
// CHECK:         tile.load %[[MT:.+]] <[0+4] +0 {{\[\[}}6,1]]>, %[[M]] <[0+4] +0 {{\[\[}}6,1]]>
// CHECK:         tile.tensor_tensor  add %[[S]] <[0+4] +0 {{\[\[}}6,1]]>, %[[S]] <[0+4] +0 {{\[\[}}6,1]]>, %[[MT]]
// CHECK:         tile.tensor_reduce  max %[[MX:.+]] <[0+4] +0 {{\[\[}}1,1]]>, %[[S]] <[0+4] +0 {{\[\[}}1,6],[6,1]]> {engine = #tile.engine<pool>}
// CHECK:         tile.tensor_scalar  mult -1.000000e+00,  bypass 0.000000e+00 %[[MX]] <[0+4] +0 {{\[\[}}1,1]]>, %[[MX]] <[0+4] +0 {{\[\[}}1,1]]> {engine = #tile.engine<pool>}
// CHECK:         tile.activation  exp %[[E:.+]] <[0+4] +0 {{\[\[}}6,1]]>, %[[S]] <[0+4] +0 {{\[\[}}6,1]]> bias %[[MX]] <[0+4] +0 {{\[\[}}1,1]]> accum %[[SUM:[^ ]+]]
// CHECK:         tile.tensor_tensor  divide %[[P:.+]] <[0+4] +0 {{\[\[}}6,1]]>, %[[E]] <[0+4] +0 {{\[\[}}6,1]]>, %[[SUM]] <[0+4] +0 {{\[\[}}6,0]]>
// CHECK:         tile.matmul %[[PT:.+]] <[0+6] +0 {{\[\[}}4,1]]>, %[[P]] <[0+4] +0 {{\[\[}}6,1]]>, %[[I]] <[0+4] +0 {{\[\[}}4,1]]> start
// CHECK:         tile.copy %[[PTS:.+]] <[0+6] +0 {{\[\[}}4,1]]>, %[[PT]]
// CHECK:         tile.matmul %[[PO:.+]] <[0+4] +0 {{\[\[}}4,1]]>, %[[PTS]] <[0+6] +0 {{\[\[}}4,1]]>, %[[VT]] <[0+6] +0 {{\[\[}}4,1]]> start
// CHECK:         tile.activation  identity %[[OT:.+]] <[0+4] +0 {{\[\[}}4,1]]>, %[[PO]]
// CHECK:         tile.store %[[O]] <[0+4 x 4] +0 {{\[\[}}4,1]]>, %[[OT]]
// SCRATCH-LABEL: func.func @attention
// SCRATCH-NOT:   tile.alloc : memref<{{.*}}#tile.mem<hbm>>
// SCRATCH-LABEL: func.func @long_keys
func.func @attention(%q: tensor<1x4x8xf32> {trellis.name = "q"}, %k: tensor<1x6x8xf32> {trellis.name = "k"}, %v: tensor<1x6x4xf32> {trellis.name = "v"}, %m: tensor<6xf32> {trellis.name = "m"}) -> (tensor<1x4x4xf32> {trellis.name = "o"}) {
  %o = graph.attention %q, %k, %v mask %m scale = 0.25 : (tensor<1x4x8xf32>, tensor<1x6x8xf32>, tensor<1x6x4xf32>, tensor<6xf32>) -> tensor<1x4x4xf32>
  return %o : tensor<1x4x4xf32>
}

// -----

// Tests the softmax straight from PSUM (no mask, a power-of-two scale):
// the row max of the raw scores on the vector engine, its negation times
// the scale on GpSimd, and exp(scale * s - max) with the row sums from
// PSUM; no scaled copy of the scores. The division of the first block runs
// on the vector engine.
// CHECK-LABEL: func.func @scores_in_psum
// CHECK:         tile.matmul %[[PS:[0-9]+]] <[0+4] +0 {{\[\[}}6,1]]>, %{{.+}} start
// CHECK-NOT:     tile.activation  identity
// CHECK:         tile.tensor_reduce  max %[[MX:[0-9]+]] <[0+4] +0 {{\[\[}}1,1]]>, %[[PS]] <[0+4] +0 {{\[\[}}1,6],[6,1]]> :
// CHECK-NEXT:    tile.tensor_scalar  mult -2.500000e-01,  bypass 0.000000e+00 %[[MX]] <[0+4] +0 {{\[\[}}1,1]]>, %[[MX]] <[0+4] +0 {{\[\[}}1,1]]> {engine = #tile.engine<pool>}
// CHECK-NEXT:    tile.activation  exp %[[E:[0-9]+]] <[0+4] +0 {{\[\[}}6,1]]>, %[[PS]] <[0+4] +0 {{\[\[}}6,1]]> bias %[[MX]] <[0+4] +0 {{\[\[}}1,1]]> scale 2.500000e-01 accum %[[SUM:[0-9]+]]
// CHECK:         tile.tensor_tensor  divide %{{.+}}, %[[E]] <[0+4] +0 {{\[\[}}6,1]]>, %[[SUM]] <[0+4] +0 {{\[\[}}6,0]]> :
func.func @scores_in_psum(%q: tensor<1x4x8xf32> {trellis.name = "q"}, %k: tensor<1x6x8xf32> {trellis.name = "k"}, %v: tensor<1x6x4xf32> {trellis.name = "v"}) -> (tensor<1x4x4xf32> {trellis.name = "o"}) {
  %o = graph.attention %q, %k, %v scale = 0.25 : (tensor<1x4x8xf32>, tensor<1x6x8xf32>, tensor<1x6x4xf32>) -> tensor<1x4x4xf32>
  return %o : tensor<1x4x4xf32>
}

// -----

// Tests causal query blocks: the first block's scores cover keys [0, 128)
// only, the second's [0, 256); the causal mask is added on the diagonal
// 128 x 128 block alone (the second block's columns [128, 256)), each
// mask block is loaded once for both heads, and the second block's
// probabilities @ V run over two key tiles, the first's over one.
// CHECK-LABEL: func.func @causal_blocks
// CHECK:         tile.matmul %{{.+}} <[0+128] +0 {{\[\[}}128,1]]>, %[[QT:[0-9]+]] <[0+8] +0 {{\[\[}}128,1]]>, %[[KT:[0-9]+]] <[0+8] +0 {{\[\[}}128,1]]> start
// CHECK:         tile.load %[[M0:[0-9]+]] <[0+128] +0 {{\[\[}}128,1]]>, %[[MC:[0-9]+]] <[0+128 x 256] +0 {{\[\[}}128,1]]>
// CHECK-NEXT:    tile.tensor_tensor  add %[[S0:[0-9]+]] <[0+128] +0 {{\[\[}}128,1]]>, %[[S0]] <[0+128] +0 {{\[\[}}128,1]]>, %[[M0]]
// CHECK:         tile.matmul %[[PO:[0-9]+]] <[0+128] +0 {{\[\[}}4,1]]>, %{{.+}} start
// CHECK-NOT:     tile.matmul %[[PO]]
// CHECK:         tile.matmul %{{.+}} <[0+128] +0 {{\[\[}}256,1]]>, %[[QT]] <[0+8] +128 {{\[\[}}128,1]]>, %[[KT]] <[0+8] +0 {{\[\[}}256,1]]> start
// CHECK:         tile.load %[[M1:[0-9]+]] <[0+128] +0 {{\[\[}}128,1]]>, %[[MC]] <[0+128 x 256] +32896 {{\[\[}}128,1]]>
// CHECK-NEXT:    tile.tensor_tensor  add %[[S1:[0-9]+]] <[0+128] +128 {{\[\[}}128,1]]>, %[[S1]] <[0+128] +128 {{\[\[}}128,1]]>, %[[M1]]
// CHECK:         tile.matmul %[[PO1:[0-9]+]] <[0+128] +0 {{\[\[}}4,1]]>, %{{.+}} start
// CHECK-NEXT:    tile.matmul %[[PO1]] <[0+128] +0 {{\[\[}}4,1]]>
// CHECK-NOT:     tile.load %{{.+}}, %[[MC]]
// CHECK:         tile.tensor_tensor  add %{{.+}}, %[[M0]]
// CHECK:         tile.tensor_tensor  add %{{.+}}, %[[M1]]
func.func @causal_blocks(%q: tensor<2x256x8xf32> {trellis.name = "q"}, %k: tensor<2x256x8xf32> {trellis.name = "k"}, %v: tensor<2x256x4xf32> {trellis.name = "v"}) -> (tensor<2x256x4xf32> {trellis.name = "o"}) {
  %o = graph.attention %q, %k, %v scale = 0.25 causal : (tensor<2x256x8xf32>, tensor<2x256x8xf32>, tensor<2x256x4xf32>) -> tensor<2x256x4xf32>
  return %o : tensor<2x256x4xf32>
}

// -----

// Tests heads merged by a transpose and a reshape into the x of a row-form
// linear (the output projection), in bf16: each head's output block goes
// straight into its columns of the query block's row tile on chip (head 1
// at column 64), and the PE transposes that tile into the projection's
// x^T. The merged heads never reach HBM: only the projection is stored.
// CHECK-LABEL: func.func @heads_to_projection
// CHECK-NOT:     tile.alloc : memref<1x128x2x64xbf16, #tile.mem<hbm>>
// CHECK:         tile.activation  identity %[[ROWS:[0-9]+]] <[0+128] +0 {{\[\[}}64,1]]>, %{{.+}} : memref<128x128xbf16, #tile.mem<sbuf>>, memref<128x64xf32, #tile.mem<psum>>
// CHECK:         tile.activation  identity %[[ROWS]] <[0+128] +64 {{\[\[}}64,1]]>
// CHECK:         tile.matmul %[[PT:[0-9]+]] <[0+128] +0 {{\[\[}}128,1]]>, %[[ROWS]] <[0+128] +0 {{\[\[}}128,1]]>, %{{.+}} start
// CHECK-NEXT:    tile.copy %[[XT:[0-9]+]] <[0+128] +0 {{\[\[}}128,1]]>, %[[PT]]
// CHECK:         tile.matmul %{{.+}} <[0+128] +0 {{\[\[}}32,1]]>, %[[XT]] <[0+128] +0 {{\[\[}}128,1]]>
// CHECK:         tile.store %arg4
// CHECK-NOT:     tile.store
func.func @heads_to_projection(%q: tensor<1x2x128x64xbf16> {trellis.name = "q"}, %k: tensor<1x2x128x64xbf16> {trellis.name = "k"}, %v: tensor<1x2x128x64xbf16> {trellis.name = "v"}, %w: tensor<128x32xbf16> {trellis.name = "w"}) -> (tensor<1x128x32xf32> {trellis.name = "y"}) {
  %a = graph.attention %q, %k, %v scale = 0.125 : (tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>, tensor<1x2x128x64xbf16>) -> tensor<1x2x128x64xbf16>
  %t = graph.transpose %a {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x128x64xbf16>) -> tensor<1x128x2x64xbf16>
  %r = graph.reshape %t : (tensor<1x128x2x64xbf16>) -> tensor<1x128x128xbf16>
  %y = graph.linear %r, %w : (tensor<1x128x128xbf16>, tensor<128x32xbf16>) -> tensor<1x128x32xf32>
  return %y : tensor<1x128x32xf32>
}

// -----

// Tests that more than 512 keys (a score block beyond one PSUM bank) go
// through HBM scratch for the scores and probabilities instead.
// CHECK-LABEL: func.func @long_keys
// CHECK:         tile.alloc : memref<1x4x520xf32, #tile.mem<hbm>>
// CHECK:         tile.alloc : memref<1x4x520xf32, #tile.mem<hbm>>
func.func @long_keys(%q: tensor<1x4x8xf32> {trellis.name = "q"}, %k: tensor<1x520x8xf32> {trellis.name = "k"}, %v: tensor<1x520x4xf32> {trellis.name = "v"}) -> (tensor<1x4x4xf32> {trellis.name = "o"}) {
  %o = graph.attention %q, %k, %v scale = 0.25 : (tensor<1x4x8xf32>, tensor<1x520x8xf32>, tensor<1x520x4xf32>) -> tensor<1x4x4xf32>
  return %o : tensor<1x4x4xf32>
}

// -----

// Tests heads split and merged by transposes around the attention: the
// transposes of Q, K and V ([S, H, D] -> [H, S, D]) move nothing, each
// head's Q^T and K^T load reads the untransposed tensor (d on partitions
// at stride 1, the queries H * D = 16 apart, head h at offset h * D), and
// the result is stored straight into the merging transpose's output
// (rows H * D apart, head h at column h * D). The only stores are the two
// heads' output blocks.
// CHECK-LABEL: func.func @heads
// CHECK-SAME:    (%[[Q:.+]]: memref<4x2x8xf32, #tile.mem<hbm>> {trellis.input = "q"}, %[[K:.+]]: memref<4x2x8xf32, #tile.mem<hbm>> {trellis.input = "k"}, %[[V:.+]]: memref<4x2x8xf32, #tile.mem<hbm>> {trellis.input = "v"}, %[[O:.+]]: memref<4x2x8xf32, #tile.mem<hbm>> {trellis.output = "o"})
// CHECK-NOT:     tile.alloc : memref<{{.*}}#tile.mem<hbm>>
// CHECK:         tile.load %{{.+}} <[0+8] +0 {{\[\[}}4,1]]>, %[[Q]] <[0+8 x 1] +0 {{\[\[}}4,16]]>
// CHECK:         tile.load %{{.+}} <[0+8] +0 {{\[\[}}4,1]]>, %[[K]] <[0+8 x 1] +0 {{\[\[}}4,16]]>
// CHECK:         tile.load %{{.+}} <[0+4] +0 {{\[\[}}8,1]]>, %[[V]] <[0+4 x 16] +0 {{\[\[}}8,1]]>
// CHECK:         tile.store %[[O]] <[0+4 x 16] +0 {{\[\[}}8,1]]>
// CHECK:         tile.load %{{.+}} <[0+8] +0 {{\[\[}}4,1]]>, %[[Q]] <[0+8 x 1] +8 {{\[\[}}4,16]]>
// CHECK:         tile.store %[[O]] <[0+4 x 16] +8 {{\[\[}}8,1]]>
// CHECK-NOT:     tile.store
// CHECK:         return
func.func @heads(%q: tensor<4x2x8xf32> {trellis.name = "q"}, %k: tensor<4x2x8xf32> {trellis.name = "k"}, %v: tensor<4x2x8xf32> {trellis.name = "v"}) -> (tensor<4x2x8xf32> {trellis.name = "o"}) {
  %qh = graph.transpose %q {perm = array<i64: 1, 0, 2>} : (tensor<4x2x8xf32>) -> tensor<2x4x8xf32>
  %kh = graph.transpose %k {perm = array<i64: 1, 0, 2>} : (tensor<4x2x8xf32>) -> tensor<2x4x8xf32>
  %vh = graph.transpose %v {perm = array<i64: 1, 0, 2>} : (tensor<4x2x8xf32>) -> tensor<2x4x8xf32>
  %a = graph.attention %qh, %kh, %vh scale = 0.25 : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %o = graph.transpose %a {perm = array<i64: 1, 0, 2>} : (tensor<2x4x8xf32>) -> tensor<4x2x8xf32>
  return %o : tensor<4x2x8xf32>
}

// -----

// Tests that a transpose also read by another op (here a return) is copied
// as usual, and the attention reads the copy row-major.
// CHECK-LABEL: func.func @shared_transpose
// CHECK-SAME:    (%[[Q:.+]]: memref<4x2x8xf32, #tile.mem<hbm>> {trellis.input = "q"}, %[[O:.+]]: memref<2x4x8xf32, #tile.mem<hbm>> {trellis.output = "o"}, %[[T:.+]]: memref<2x4x8xf32, #tile.mem<hbm>> {trellis.output = "t"})
// CHECK:         tile.load %{{.+}}, %[[Q]] <[0+2 x 8] +0 {{\[\[}}4,16],[8,1]]>
// CHECK:         tile.store %[[T]]
// CHECK:         tile.load %{{.+}} <[0+8] +0 {{\[\[}}4,1]]>, %[[T]] <[0+8 x 1] +0 {{\[\[}}4,8]]>
func.func @shared_transpose(%q: tensor<4x2x8xf32> {trellis.name = "q"}) -> (tensor<2x4x8xf32> {trellis.name = "o"}, tensor<2x4x8xf32> {trellis.name = "t"}) {
  %qh = graph.transpose %q {perm = array<i64: 1, 0, 2>} : (tensor<4x2x8xf32>) -> tensor<2x4x8xf32>
  %a = graph.attention %qh, %qh, %qh scale = 0.25 : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %a, %qh : tensor<2x4x8xf32>, tensor<2x4x8xf32>
}

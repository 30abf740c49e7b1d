// RUN: trellis-opt %s --split-input-file --convert-graph-to-tile | FileCheck %s

// Tests the direct weight-stationary convolution: constant weights are
// re-laid out as one [Cin, taps * Cout] tile (and the original constant
// dropped), the padded input slab is zeroed and loaded once, each kernel tap
// is one matmul whose moving operand is a strided view of the slab, all taps
// accumulate in one PSUM tile, and bias + relu ride on the evicting
// activation. (65 channels x 2 kernel rows do not fit 128 partitions, so
// the kernel rows are not folded into the contraction; see below.)
// CHECK-LABEL: func.func @conv
// CHECK-SAME:    (%[[X:.+]]: memref<1x65x5x5xf32, #tile.mem<hbm>> {trellis.input = "x"}, %[[Y:.+]]: memref<1x3x3x3xf32, #tile.mem<hbm>> {trellis.output = "y"})
// CHECK-DAG:     %[[B:.+]] = tile.constant dense<[1.000000e+00, -2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK-DAG:     %[[WP:.+]] = tile.constant dense<5.000000e-01> : tensor<780xf32>
// CHECK-NOT:     tile.constant
// CHECK:         %[[WS:.+]] = tile.alloc : memref<65x12xf32, #tile.mem<sbuf>>
// CHECK:         tile.load %[[WS]] <[0+65] +0 {{\[\[}}12,1]]>, %[[WP]] <[0+65 x 12] +0 {{\[\[}}12,1]]>
// CHECK:         %[[BS:.+]] = tile.alloc : memref<3x1xf32, #tile.mem<sbuf>>
// CHECK:         %[[SL:.+]] = tile.alloc : memref<65x36xf32, #tile.mem<sbuf>>
// CHECK:         tile.memset %[[SL]] <[0+65] +0 {{\[\[}}36,1]]>, 0.000000e+00
// CHECK:         tile.load %[[SL]] <[0+65] +7 {{\[\[}}5,6],[5,1]]>, %[[X]] <[0+65 x 25] +0 {{\[\[}}5,5],[5,1]]>
// CHECK:         %[[PS:.+]] = tile.alloc : memref<3x9xf32, #tile.mem<psum>>
// CHECK:         tile.matmul %[[PS]] <[0+3] +0 {{\[\[}}9,1]]>, %[[WS]] <[0+65] +0 {{\[\[}}3,1]]>, %[[SL]] <[0+65] +0 {{\[\[}}3,12],[3,2]]> start
// CHECK:         tile.matmul %[[PS]] <[0+3] +0 {{\[\[}}9,1]]>, %[[WS]] <[0+65] +3 {{\[\[}}3,1]]>, %[[SL]] <[0+65] +1 {{\[\[}}3,12],[3,2]]> :
// CHECK:         tile.matmul %[[PS]] <[0+3] +0 {{\[\[}}9,1]]>, %[[WS]] <[0+65] +6 {{\[\[}}3,1]]>, %[[SL]] <[0+65] +6 {{\[\[}}3,12],[3,2]]> :
// CHECK:         tile.matmul %[[PS]] <[0+3] +0 {{\[\[}}9,1]]>, %[[WS]] <[0+65] +9 {{\[\[}}3,1]]>, %[[SL]] <[0+65] +7 {{\[\[}}3,12],[3,2]]> :
// CHECK:         %[[O:.+]] = tile.alloc : memref<3x9xf32, #tile.mem<sbuf>>
// CHECK:         tile.activation  relu %[[O]] {{.*}}, %[[PS]] {{.*}} bias %[[BS]]
// CHECK:         tile.store %[[Y]] <[0+3 x 9] +0 {{\[\[}}3,3],[3,1]]>, %[[O]]
func.func @conv(%x: tensor<1x65x5x5xf32> {trellis.name = "x"}) -> (tensor<1x3x3x3xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<0.5> : tensor<3x65x2x2xf32>
  %b = graph.constant dense<[1.0, -2.0, 3.0]> : tensor<3xf32>
  %y = graph.conv2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, dilations = array<i64: 1, 1>, activation = #graph.activation<relu>} : (tensor<1x65x5x5xf32>, tensor<3x65x2x2xf32>, tensor<3xf32>) -> tensor<1x3x3x3xf32>
  return %y : tensor<1x3x3x3xf32>
}

// -----

// Tests that with few input channels the kernel rows fold into the
// contraction: partitions [kh * Cin, (kh + 1) * Cin) of the slab hold the
// window shifted down by kh rows (one DMA each), the weights are one
// [KH * Cin, KW * Cout] tile, and there is one matmul per kernel column.
// CHECK-LABEL: func.func @conv_row_packed
// CHECK-SAME:    (%[[X:.+]]: memref<1x2x5x5xf32, #tile.mem<hbm>> {trellis.input = "x"}
// CHECK:         %[[WS:.+]] = tile.alloc : memref<4x6xf32, #tile.mem<sbuf>>
// CHECK:         %[[SL:.+]] = tile.alloc : memref<4x30xf32, #tile.mem<sbuf>>
// CHECK:         tile.memset %[[SL]] <[0+4] +0 {{\[\[}}30,1]]>, 0.000000e+00
// CHECK:         tile.load %[[SL]] <[0+2] +7 {{\[\[}}4,6],[5,1]]>, %[[X]] <[0+2 x 25] +0 {{\[\[}}4,5],[5,1]]>
// CHECK:         tile.load %[[SL]] <[2+2] +1 {{\[\[}}5,6],[5,1]]>, %[[X]] <[0+2 x 25] +0 {{\[\[}}5,5],[5,1]]>
// CHECK:         tile.matmul %[[PS:.+]] <[0+3] +0 {{\[\[}}9,1]]>, %[[WS]] <[0+4] +0 {{\[\[}}3,1]]>, %[[SL]] <[0+4] +0 {{\[\[}}3,12],[3,2]]> start
// CHECK:         tile.matmul %[[PS]] <[0+3] +0 {{\[\[}}9,1]]>, %[[WS]] <[0+4] +3 {{\[\[}}3,1]]>, %[[SL]] <[0+4] +1 {{\[\[}}3,12],[3,2]]> :
// CHECK-NOT:     tile.matmul
func.func @conv_row_packed(%x: tensor<1x2x5x5xf32> {trellis.name = "x"}) -> (tensor<1x3x3x3xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<0.5> : tensor<3x2x2x2xf32>
  %y = graph.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x2x5x5xf32>, tensor<3x2x2x2xf32>) -> tensor<1x3x3x3xf32>
  return %y : tensor<1x3x3x3xf32>
}

// -----

// Tests that a depthwise convolution with computed weights builds one
// block-diagonal weight tile (zeroed, then one DMA per group) and runs one
// 4-channel matmul per tap.
// CHECK-LABEL: func.func @depthwise
// CHECK-SAME:    (%[[X:.+]]: memref<1x4x4x4xf32, #tile.mem<hbm>> {trellis.input = "x"}, %[[W:.+]]: memref<4x1x3x3xf32, #tile.mem<hbm>> {trellis.input = "w"}
// CHECK:         %[[WS:.+]] = tile.alloc : memref<4x36xf32, #tile.mem<sbuf>>
// CHECK:         tile.memset %[[WS]] <[0+4] +0 {{\[\[}}36,1]]>, 0.000000e+00
// CHECK:         tile.load %[[WS]] <[0+1] +0 {{\[\[}}9,4],[1,1]]>, %[[W]] <[0+1 x 9] +0 {{\[\[}}9,1],[1,9]]>
// CHECK:         tile.load %[[WS]] <[1+1] +1 {{\[\[}}9,4],[1,1]]>, %[[W]] <[0+1 x 9] +9 {{\[\[}}9,1],[1,9]]>
// CHECK:         tile.load %[[WS]] <[2+1] +2 {{\[\[}}9,4],[1,1]]>, %[[W]] <[0+1 x 9] +18 {{\[\[}}9,1],[1,9]]>
// CHECK:         tile.load %[[WS]] <[3+1] +3 {{\[\[}}9,4],[1,1]]>, %[[W]] <[0+1 x 9] +27 {{\[\[}}9,1],[1,9]]>
// CHECK-COUNT-9: tile.matmul %{{.+}} <[0+4] +0 {{\[\[}}16,1]]>, %[[WS]] <[0+4]
// CHECK-NOT:     tile.matmul
func.func @depthwise(%x: tensor<1x4x4x4xf32> {trellis.name = "x"}, %w: tensor<4x1x3x3xf32> {trellis.name = "w"}) -> (tensor<1x4x4x4xf32> {trellis.name = "y"}) {
  %y = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 4 : i64} : (tensor<1x4x4x4xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// -----

// Tests that a transposed convolution spreads the input out by the stride in
// the slab (row stride 2 * 7, column stride 2) and walks the kernel taps
// flipped.
// CHECK-LABEL: func.func @transpose
// CHECK:         %[[WS:.+]] = tile.alloc : memref<1x18xf32, #tile.mem<sbuf>>
// CHECK:         %[[SL:.+]] = tile.alloc : memref<1x49xf32, #tile.mem<sbuf>>
// CHECK:         tile.memset %[[SL]]
// CHECK:         tile.load %[[SL]] <[0+1] +16 {{\[\[}}2,14],[2,2]]>, %{{.+}} <[0+1 x 4] +0 {{\[\[}}2,2],[2,1]]>
// CHECK:         tile.matmul %{{.+}}, %[[WS]] <[0+1] +16 {{\[\[}}2,1]]>, %[[SL]] <[0+1] +0 {{\[\[}}5,7],[5,1]]> start
// CHECK:         tile.matmul %{{.+}}, %[[WS]] <[0+1] +14 {{\[\[}}2,1]]>, %[[SL]] <[0+1] +1 {{\[\[}}5,7],[5,1]]> :
func.func @transpose(%x: tensor<1x1x2x2xf32> {trellis.name = "x"}, %w: tensor<1x2x3x3xf32> {trellis.name = "w"}) -> (tensor<1x2x5x5xf32> {trellis.name = "y"}) {
  %y = graph.conv_transpose2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 0, 0>} : (tensor<1x1x2x2xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x5x5xf32>
  return %y : tensor<1x2x5x5xf32>
}

// -----

// Tests that an average pool adds shifted strided views of the zero-padded
// slab on the vector engine and scales by the reciprocal window counts,
// which differ at the padded border. Two planes leave lanes free, so the
// two output rows are two bands on partitions [0, 2) and [2, 4): one load
// each (the first clipped by the top padding), one instruction per tap for
// both, then per band its reciprocals and its store.
// CHECK-LABEL: func.func @avgpool
// CHECK-SAME:    (%[[X:.+]]: memref<1x2x4x4xf32, #tile.mem<hbm>> {trellis.input = "x"}, %[[Y:.+]]: memref<1x2x2x2xf32, #tile.mem<hbm>> {trellis.output = "y"})
// CHECK:         %[[R:.+]] = tile.constant dense<[2.500000e-01, 0.166666672, 0.166666672, 0.111111112]>
// CHECK:         %[[SL:.+]] = tile.alloc : memref<4x15xf32, #tile.mem<sbuf>>
// CHECK:         tile.memset %[[SL]] <[0+4] +0 {{\[\[}}15,1]]>, 0.000000e+00
// CHECK:         tile.load %[[SL]] <[0+2] +6 {{\[\[}}2,5],[4,1]]>, %[[X]] <[0+2 x 16] +0 {{\[\[}}2,4],[4,1]]>
// CHECK:         tile.load %[[SL]] <[2+2] +1 {{\[\[}}3,5],[4,1]]>, %[[X]] <[0+2 x 16] +4 {{\[\[}}3,4],[4,1]]>
// CHECK:         %[[ACC:.+]] = tile.alloc : memref<4x2xf32, #tile.mem<sbuf>>
// CHECK:         tile.copy %[[ACC]] <[0+4] +0 {{\[\[}}2,1]]>, %[[SL]] <[0+4] +0 {{\[\[}}1,10],[2,2]]>
// CHECK-COUNT-8: tile.tensor_tensor  add %[[ACC]] <[0+4]
// CHECK:         tile.load %[[RS0:.+]] <[0+2] +0 {{\[\[}}2,1]]>, %[[R]] <[0+2] +0 {{\[\[}}1,2],[2,1]]>
// CHECK:         tile.tensor_tensor  mult %[[ACC]] <[0+2] {{.*}}, %[[ACC]] <[0+2] {{.*}}, %[[RS0]]
// CHECK:         tile.store %[[Y]] <[0+2 x 4] +0 {{\[\[}}1,2],[2,1]]>, %[[ACC]] <[0+2]
// CHECK:         tile.load %[[RS1:.+]] <[0+2] +0 {{\[\[}}2,1]]>, %[[R]] <[0+2] +2 {{\[\[}}1,2],[2,1]]>
// CHECK:         tile.tensor_tensor  mult %[[ACC]] <[2+2] {{.*}}, %[[ACC]] <[2+2] {{.*}}, %[[RS1]]
// CHECK:         tile.store %[[Y]] <[0+2 x 4] +2 {{\[\[}}1,2],[2,1]]>, %[[ACC]] <[2+2]
func.func @avgpool(%x: tensor<1x2x4x4xf32> {trellis.name = "x"}) -> (tensor<1x2x2x2xf32> {trellis.name = "y"}) {
  %y = graph.pool2d avg %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// Tests that a global max pool is one reduction per tile of (batch,
// channel) planes.
// CHECK-LABEL: func.func @global_max
// CHECK:         tile.load %[[T:.+]] <[0+6] +0 {{\[\[}}16,1]]>, %{{.+}} <[0+6 x 16] +0 {{\[\[}}16,1]]>
// CHECK:         tile.tensor_reduce  max %{{.+}} <[0+6] +0 {{\[\[}}1,1]]>, %[[T]]
func.func @global_max(%x: tensor<2x3x4x4xf32> {trellis.name = "x"}) -> (tensor<2x3x1x1xf32> {trellis.name = "y"}) {
  %y = graph.pool2d max %x {kernel = array<i64: 4, 4>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<2x3x4x4xf32>) -> tensor<2x3x1x1xf32>
  return %y : tensor<2x3x1x1xf32>
}

// -----

// Tests that a standalone batch norm computes a = scale * rsqrt(var + eps)
// and shift = bias - mean * a per channel on chip, then applies x * a on the
// vector engine (a broadcast with a zero stride) and + shift as the
// activation's bias column.
// CHECK-LABEL: func.func @batch_norm
// CHECK:         tile.tensor_scalar  add 1.000000e-03, {{.*}} %[[V:[0-9]+]] <[0+3] +0 {{\[\[}}1,1]]>, %[[V]]
// CHECK:         tile.activation  rsqrt %[[A:[0-9]+]] <[0+3] +0 {{\[\[}}1,1]]>, %[[V]]
// CHECK:         tile.tensor_tensor  subtract %[[SH:[0-9]+]] <[0+3] +0
// CHECK:         tile.tensor_tensor  mult %[[T:.+]] <[0+3] +0 {{\[\[}}16,1]]>, %[[T]] <[0+3] +0 {{\[\[}}16,1]]>, %[[A]] <[0+3] +0 {{\[\[}}16,0]]>
// CHECK:         tile.activation  identity %[[T]] {{.*}}, %[[T]] {{.*}} bias %[[SH]]
func.func @batch_norm(%x: tensor<1x3x4x4xf32> {trellis.name = "x"}, %s: tensor<3xf32> {trellis.name = "s"}) -> (tensor<1x3x4x4xf32> {trellis.name = "y"}) {
  %y = graph.batch_norm %x, %s, %s, %s, %s {epsilon = 1.0e-3 : f32} : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}

// -----

// Tests a residual (a fused skip connection): per output tile, the
// residual's pixels are loaded with the output's view, PSUM is evicted
// with the bias into an f32 tile, the vector engine adds the residual,
// and the relu writes the output tile: ((conv + bias) + r), then relu, the
// unfused ops' order. Without an activation the add writes the output.
// CHECK-LABEL: func.func @residual
// CHECK-SAME:    (%[[X:.+]]: memref<1x4x3x3xf32, #tile.mem<hbm>> {trellis.input = "x"}, %[[Y:.+]]: memref<1x4x3x3xf32, #tile.mem<hbm>> {trellis.output = "y"}, %[[Z:.+]]: memref<1x4x3x3xf32, #tile.mem<hbm>> {trellis.output = "z"})
// CHECK:         tile.matmul %[[PS:.+]] <[0+4] +0 {{\[\[}}9,1]]>
// CHECK:         %[[O:.+]] = tile.alloc : memref<4x9xf32, #tile.mem<sbuf>>
// CHECK:         %[[R:.+]] = tile.alloc : memref<4x9xf32, #tile.mem<sbuf>>
// CHECK:         tile.load %[[R]] <[0+4] +0 {{\[\[}}9,1]]>, %[[X]] <[0+4 x 9] +0 {{\[\[}}3,3],[3,1]]>
// CHECK:         %[[S:.+]] = tile.alloc : memref<4x9xf32, #tile.mem<sbuf>>
// CHECK:         %[[T:.+]] = tile.alloc : memref<4x9xf32, #tile.mem<sbuf>>
// CHECK:         tile.activation  identity %[[T]] <[0+4] +0 {{\[\[}}9,1]]>, %[[PS]] <[0+4] +0 {{\[\[}}9,1]]> bias
// CHECK:         tile.tensor_tensor add %[[S]] <[0+4] +0 {{\[\[}}9,1]]>, %[[T]] <[0+4] +0 {{\[\[}}9,1]]>, %[[R]] <[0+4] +0 {{\[\[}}9,1]]>
// CHECK:         tile.activation  relu %[[O]] <[0+4] +0 {{\[\[}}9,1]]>, %[[S]] <[0+4] +0 {{\[\[}}9,1]]> :
// CHECK:         tile.store %[[Y]] <[0+4 x 9] +0 {{\[\[}}3,3],[3,1]]>, %[[O]]
// CHECK:         tile.matmul %[[PS2:.+]] <[0+4] +0 {{\[\[}}9,1]]>
// CHECK:         %[[O2:.+]] = tile.alloc : memref<4x9xf32, #tile.mem<sbuf>>
// CHECK:         tile.load %[[R2:.+]] <[0+4] +0 {{\[\[}}9,1]]>, %[[Y]]
// CHECK:         tile.activation  identity %[[T2:.+]] <[0+4] +0 {{\[\[}}9,1]]>, %[[PS2]]
// CHECK:         tile.tensor_tensor add %[[O2]] <[0+4] +0 {{\[\[}}9,1]]>, %[[T2]] <[0+4] +0 {{\[\[}}9,1]]>, %[[R2]]
// CHECK-NOT:     tile.activation
// CHECK:         tile.store %[[Z]] <[0+4 x 9] +0 {{\[\[}}3,3],[3,1]]>, %[[O2]]
func.func @residual(%x: tensor<1x4x3x3xf32> {trellis.name = "x"}) -> (tensor<1x4x3x3xf32> {trellis.name = "y"}, tensor<1x4x3x3xf32> {trellis.name = "z"}) {
  %w = graph.constant dense<0.5> : tensor<4x4x1x1xf32>
  %b = graph.constant dense<[1.0, -2.0, 3.0, 0.0]> : tensor<4xf32>
  %y = graph.conv2d %x, %w, %b residual %x {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, activation = #graph.activation<relu>} : (tensor<1x4x3x3xf32>, tensor<4x4x1x1xf32>, tensor<4xf32>, tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %z = graph.conv2d %x, %w, %b residual %y {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x3x3xf32>, tensor<4x4x1x1xf32>, tensor<4xf32>, tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  return %y, %z : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
}

// -----

// Tests that a cast of the convolution's result is written by the
// convolution: each evacuated tile is stored, converted by a GpSimd copy
// and stored again into the cast's buffer; nothing reloads the f32 result.
// CHECK-LABEL: func.func @conv_cast
// CHECK-SAME:    %[[Y:[^:]+]]: memref<1x3x3x3xf32, #tile.mem<hbm>> {trellis.output = "y"}, %[[C:[^:]+]]: memref<1x3x3x3xbf16, #tile.mem<hbm>> {trellis.output = "c"})
// CHECK:         tile.activation  relu %[[OUT:.+]] <[0+3] +0 {{\[\[}}9,1]]>, %{{.+}} <[0+3] +0 {{\[\[}}9,1]]>
// CHECK-NEXT:    tile.store %[[Y]] <[0+3 x 9] +0 {{\[\[}}3,3],[3,1]]>, %[[OUT]]
// CHECK:         tile.copy %[[NARROW:.+]] <[0+3] +0 {{\[\[}}9,1]]>, %[[OUT]] <[0+3] +0 {{\[\[}}9,1]]> {engine = #tile.engine<pool>} : memref<3x9xbf16, #tile.mem<sbuf>>, memref<3x9xf32, #tile.mem<sbuf>>
// CHECK-NEXT:    tile.store %[[C]] <[0+3 x 9] +0 {{\[\[}}3,3],[3,1]]>, %[[NARROW]]
// CHECK-NOT:     tile.load
// CHECK:         return
func.func @conv_cast(%x: tensor<1x2x5x5xf32> {trellis.name = "x"}, %w: tensor<3x2x2x2xf32> {trellis.name = "w"}) -> (tensor<1x3x3x3xf32> {trellis.name = "y"}, tensor<1x3x3x3xbf16> {trellis.name = "c"}) {
  %y = graph.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 0, 0>, dilations = array<i64: 1, 1>, activation = #graph.activation<relu>} : (tensor<1x2x5x5xf32>, tensor<3x2x2x2xf32>) -> tensor<1x3x3x3xf32>
  %c = graph.cast %y : (tensor<1x3x3x3xf32>) -> tensor<1x3x3x3xbf16>
  return %y, %c : tensor<1x3x3x3xf32>, tensor<1x3x3x3xbf16>
}

// -----

// Tests a stem-like max pool with 64 planes: the 4 output rows become two
// bands of 2 rows on partitions [0, 64) and [64, 128), so every max covers
// all 128 lanes.
// CHECK-LABEL: func.func @maxpool_bands
// CHECK:         tile.memset %[[SL:[^ ]+]] <[0+128] +0 {{\[\[}}45,1]]>, 0xFF800000
// CHECK:         tile.load %[[SL]] <[0+64] +10 {{\[\[}}4,9],[8,1]]>
// CHECK:         tile.load %[[SL]] <[64+64] +1 {{\[\[}}5,9],[8,1]]>
// CHECK-COUNT-8: tile.tensor_tensor  max %{{[^ ]+}} <[0+128]
// CHECK:         tile.store %{{.+}} <[0+64 x 16] +0 {{\[\[}}2,4],[4,1]]>, %{{[^ ]+}} <[0+64]
// CHECK:         tile.store %{{.+}} <[0+64 x 16] +8 {{\[\[}}2,4],[4,1]]>, %{{[^ ]+}} <[64+64]
func.func @maxpool_bands(%x: tensor<1x64x8x8xf32> {trellis.name = "x"}) -> (tensor<1x64x4x4xf32> {trellis.name = "y"}) {
  %y = graph.pool2d max %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x64x8x8xf32>) -> tensor<1x64x4x4xf32>
  return %y : tensor<1x64x4x4xf32>
}

// RUN: trellis-opt %s --split-input-file --convert-graph-to-tile | FileCheck %s

// Tests softmax over the last axis with one row per partition: the max on
// DVE, then exp(x - max) on ACT with the negated max as the bias column and
// the row sum in the same instruction's accum, then one DVE divide reading
// the sum through a zero-stride view.
// CHECK-LABEL: func.func @softmax_rows
// CHECK:         tile.load %[[X:[^ ]+]] <[0+12] +0 {{\[\[}}5,1]]>, %{{.+}} <[0+12 x 5] +0 {{\[\[}}5,1]]>
// CHECK:         tile.tensor_reduce  max %[[MX:[^ ]+]] <[0+12] +0 {{\[\[}}1,1]]>, %[[X]]
// CHECK:         tile.tensor_scalar  mult -1.000000e+00,  bypass 0.000000e+00 %[[NEG:[^ ]+]] {{.*}}, %[[MX]]
// CHECK:         tile.activation  exp %[[E:[^ ]+]] <[0+12] +0 {{\[\[}}5,1]]>, %[[X]] {{.*}} bias %[[NEG]] {{.*}} accum %[[SUM:[^ ]+]] <[0+12] +0 {{\[\[}}1,1]]>
// CHECK:         tile.tensor_tensor  divide %[[Y:[^ ]+]] <[0+12] +0 {{\[\[}}5,1]]>, %[[E]] <[0+12] +0 {{\[\[}}5,1]]>, %[[SUM]] <[0+12] +0 {{\[\[}}5,0]]>
// CHECK:         tile.store %{{.+}} <[0+12 x 5] +0 {{\[\[}}5,1]]>, %[[Y]]
func.func @softmax_rows(%x: tensor<12x5xf32>) -> tensor<12x5xf32> {
  %s = graph.softmax %x axes = [1] : (tensor<12x5xf32>) -> tensor<12x5xf32>
  return %s : tensor<12x5xf32>
}

// -----

// Tests that softmax over axis 1 of [3, 4, 5] puts the kept axis 2 on the
// partitions and reads the 3 rows of 4 of each partition with one strided
// view ([12, 5]: axes 0 and 1 merge in HBM), normalising each row on DVE.
// CHECK-LABEL: func.func @softmax_middle
// CHECK:         tile.load %[[X:[^ ]+]] <[0+5] +0 {{\[\[}}12,1]]>, %{{.+}} <[0+5 x 1] +0 {{\[\[}}12,5]]>
// CHECK:         tile.tensor_reduce  max %[[MX:[^ ]+]] <[0+5] +0 {{\[\[}}3,1]]>, %[[X]] <[0+5] +0 {{\[\[}}3,4],[4,1]]>
// CHECK:         tile.tensor_tensor  subtract %[[D:[^ ]+]] {{.*}}, %[[X]] {{.*}}, %[[MX]] <[0+5] +0 {{\[\[}}3,1],[4,0]]>
// CHECK:         tile.activation  exp %[[E:[^ ]+]] {{.*}}, %[[D]]
// CHECK:         tile.tensor_reduce  add %[[SUM:[^ ]+]] <[0+5] +0 {{\[\[}}3,1]]>, %[[E]]
// CHECK:         tile.tensor_tensor  divide %[[Y:[^ ]+]] {{.*}}, %[[E]] {{.*}}, %[[SUM]] <[0+5] +0 {{\[\[}}3,1],[4,0]]>
// CHECK:         tile.store %{{.+}} <[0+5 x 1] +0 {{\[\[}}12,5]]>, %[[Y]]
func.func @softmax_middle(%x: tensor<3x4x5xf32>) -> tensor<3x4x5xf32> {
  %s = graph.softmax %x axes = [1] : (tensor<3x4x5xf32>) -> tensor<3x4x5xf32>
  return %s : tensor<3x4x5xf32>
}

// -----

// Tests log-softmax: (x - max) on ACT, then minus log(sum) on DVE.
// CHECK-LABEL: func.func @log_softmax
// CHECK:         tile.activation  exp {{.*}} bias %[[NEG:[^ ]+]] {{.*}} accum %[[SUM:[^ ]+]] <
// CHECK:         tile.activation  identity %[[D:[^ ]+]] {{.*}} bias %[[NEG]]
// CHECK:         tile.activation  log %[[SUM]] {{.*}}, %[[SUM]]
// CHECK:         tile.tensor_tensor  subtract %{{[^ ]+}} {{.*}}, %[[D]] {{.*}}, %[[SUM]] <[0+12] +0 {{\[\[}}5,0]]>
func.func @log_softmax(%x: tensor<12x5xf32>) -> tensor<12x5xf32> {
  %s = graph.softmax %x axes = [1] log : (tensor<12x5xf32>) -> tensor<12x5xf32>
  return %s : tensor<12x5xf32>
}

// -----

// Tests layer norm over rows of 8: the sum on DVE, x - mean and the sum of
// squares on ACT (mean as bias column, accum), rsqrt(var / 8 + eps) on ACT,
// the scale loaded once per tile broadcast over the partitions (partition
// stride 0), and the InvStdDev result stored as a column.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME:    (%[[XIN:[^:]+]]: memref<6x8xf32, #tile.mem<hbm>> {{.*}}, %[[G:[^:]+]]: memref<8xf32, #tile.mem<hbm>> {{.*}}, %[[YOUT:[^:]+]]: memref<6x8xf32, #tile.mem<hbm>> {{.*}}, %[[ROUT:[^:]+]]: memref<6x1xf32, #tile.mem<hbm>>
// CHECK:         tile.tensor_reduce  add %[[NM:[^ ]+]] <[0+6] +0 {{\[\[}}1,1]]>, %[[X:[^ ]+]]
// CHECK:         tile.tensor_scalar  mult -1.250000e-01,  bypass 0.000000e+00 %[[NM]] {{.*}}, %[[NM]]
// CHECK:         tile.activation  identity %[[XC:[^ ]+]] {{.*}}, %[[X]] {{.*}} bias %[[NM]]
// CHECK:         tile.activation  square %{{[^ ]+}} {{.*}}, %[[X]] {{.*}} bias %[[NM]] {{.*}} accum %[[SQ:[^ ]+]] <
// CHECK:         tile.tensor_scalar  mult 1.250000e-01,  add 9.99999974E-6 %[[R:[^ ]+]] {{.*}}, %[[SQ]]
// CHECK:         tile.activation  rsqrt %[[R]] {{.*}}, %[[R]]
// CHECK:         tile.store %[[ROUT]] <[0+6 x 1] +0 {{\[\[}}1,1]]>, %[[R]]
// CHECK:         tile.tensor_tensor  mult %[[W:[^ ]+]] {{.*}}, %[[XC]] {{.*}}, %[[R]] <[0+6] +0 {{\[\[}}8,0]]>
// CHECK:         tile.load %[[GS:[^ ]+]] <[0+6] +0 {{\[\[}}8,1]]>, %[[G]] <[0+6] +0 {{\[\[}}8,1]]>
// CHECK:         tile.tensor_tensor  mult %[[Y:[^ ]+]] {{.*}}, %[[W]] {{.*}}, %[[GS]]
// CHECK:         tile.store %[[YOUT]] <[0+6 x 8] +0 {{\[\[}}8,1]]>, %[[Y]]
func.func @layer_norm(%x: tensor<6x8xf32>, %g: tensor<8xf32>) -> (tensor<6x8xf32>, tensor<6x1xf32>) {
  %y, %m, %r = graph.layer_norm %x scale %g axis = 1 : (tensor<6x8xf32>, tensor<8xf32>) -> (tensor<6x8xf32>, tensor<6x1xf32>, tensor<6x1xf32>)
  return %y, %r : tensor<6x8xf32>, tensor<6x1xf32>
}

// -----

// Tests that instance norm reads scale[c] and bias[c] as per-row columns
// (channels on the partitions, the batch along the free axis).
// CHECK-LABEL: func.func @instance_norm
// CHECK-SAME:    (%[[X:[^:]+]]: memref<2x3x4xf32, {{.*}}, %[[S:[^:]+]]: memref<3xf32, {{.*}}, %[[B:[^:]+]]: memref<3xf32,
// CHECK:         tile.load %{{[^ ]+}} <[0+3] +0 {{\[\[}}8,1]]>, %[[X]] <[0+3 x 4] +0 {{\[\[}}2,12],[4,1]]>
// CHECK:         tile.load %[[SS:[^ ]+]] <[0+3] +0 {{\[\[}}2,1]]>, %[[S]] <[0+3 x 1] +0 {{\[\[}}2,0]]>
// CHECK:         tile.tensor_tensor  mult %{{[^ ]+}} {{.*}}, %[[SS]] <[0+3] +0 {{\[\[}}2,1],[4,0]]>
// CHECK:         tile.load %[[BS:[^ ]+]] <[0+3] +0 {{\[\[}}2,1]]>, %[[B]] <[0+3 x 1] +0 {{\[\[}}2,0]]>
// CHECK:         tile.tensor_tensor  add %{{[^ ]+}} {{.*}}, %[[BS]] <[0+3] +0 {{\[\[}}2,1],[4,0]]>
func.func @instance_norm(%x: tensor<2x3x4xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<2x3x4xf32> {
  %y = graph.instance_norm %x, %s, %b : (tensor<2x3x4xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// Tests a mean over the middle axis: a DVE sum of each row then a scale by
// 1/4, stored through the keepdims output's view.
// CHECK-LABEL: func.func @mean
// CHECK:         tile.load %[[X:[^ ]+]] <[0+5] +0 {{\[\[}}12,1]]>, %{{.+}} <[0+5 x 1] +0 {{\[\[}}12,5]]>
// CHECK:         tile.tensor_reduce  add %[[S:[^ ]+]] <[0+5] +0 {{\[\[}}3,1]]>, %[[X]] <[0+5] +0 {{\[\[}}3,4],[4,1]]>
// CHECK:         tile.tensor_scalar  mult 2.500000e-01,  bypass 0.000000e+00 %[[Y:[^ ]+]] {{.*}}, %[[S]]
// CHECK:         tile.store %{{.+}} <[0+5 x 1] +0 {{\[\[}}3,5]]>, %[[Y]]
func.func @mean(%x: tensor<3x4x5xf32>) -> tensor<3x1x5xf32> {
  %m = graph.reduce mean %x axes = [1] keepdims : (tensor<3x4x5xf32>) -> tensor<3x1x5xf32>
  return %m : tensor<3x1x5xf32>
}

// -----

// Tests that a sum of squares is one ACT instruction with accum.
// CHECK-LABEL: func.func @sum_square
// CHECK:         tile.activation  square %{{[^ ]+}} <[0+4] +0 {{\[\[}}6,1]]>, %{{[^ ]+}} {{.*}} accum %[[Y:[^ ]+]] <[0+4] +0 {{\[\[}}1,1]]>
// CHECK:         tile.store %{{.+}}, %[[Y]]
func.func @sum_square(%x: tensor<4x6xf32>) -> tensor<4xf32> {
  %m = graph.reduce sum_square %x axes = [1] : (tensor<4x6xf32>) -> tensor<4xf32>
  return %m : tensor<4xf32>
}

// -----

// Tests that a row of 20000 elements is reduced in pieces of 8192, 8192 and
// 3616, combined on DVE.
// CHECK-LABEL: func.func @split_rows
// CHECK:         tile.tensor_reduce  max %[[A:[^ ]+]] <[0+1] +0 {{\[\[}}1,1]]>, %{{[^ ]+}} <[0+1] +0 {{\[\[}}1,8192],[8192,1]]>
// CHECK:         tile.tensor_reduce  max %[[P:[^ ]+]] <[0+1] +0 {{\[\[}}1,1]]>, %{{[^ ]+}} <[0+1] +0 {{\[\[}}1,8192],[8192,1]]>
// CHECK:         tile.tensor_tensor  max %[[A]] {{.*}}, %[[A]] {{.*}}, %[[P]]
// CHECK:         tile.tensor_reduce  max %[[P2:[^ ]+]] <[0+1] +0 {{\[\[}}1,1]]>, %{{[^ ]+}} <[0+1] +0 {{\[\[}}1,3616],[3616,1]]>
// CHECK:         tile.tensor_tensor  max %[[A]] {{.*}}, %[[A]] {{.*}}, %[[P2]]
// CHECK:         tile.tensor_scalar  bypass {{.*}} %[[Y:[^ ]+]] {{.*}}, %[[A]]
// CHECK:         tile.store %{{.+}}, %[[Y]]
func.func @split_rows(%x: tensor<100x200xf32>) -> tensor<f32> {
  %m = graph.reduce max %x axes = [0, 1] : (tensor<100x200xf32>) -> tensor<f32>
  return %m : tensor<f32>
}

// -----

// Tests arg max: the row maximum, a 0/1 match mask, weights n - i built once
// by iota so that the first match wins, and the index written as i64.
// CHECK-LABEL: func.func @argmax
// CHECK:         tile.iota %[[W:[^ ]+]] <[0+128] +0 {{\[\[}}6,1]]> base 6 pstep 0 fstep -1
// CHECK:         tile.tensor_reduce  max %[[M:[^ ]+]] {{.*}}, %[[X:[^ ]+]]
// CHECK:         tile.tensor_tensor  is_equal %[[H:[^ ]+]] {{.*}}, %[[X]] {{.*}}, %[[M]] <[0+4] +0 {{\[\[}}6,0]]>
// CHECK:         tile.tensor_tensor  mult %[[H]] {{.*}}, %[[H]] {{.*}}, %[[W]]
// CHECK:         tile.tensor_reduce  max %[[M]] {{.*}}, %[[H]]
// CHECK:         tile.tensor_scalar  mult -1.000000e+00,  add 6.000000e+00 %[[I:[^ ]+]] {{.*}}, %[[M]] {{.*}} : memref<4x1xi64, #tile.mem<sbuf>>
// CHECK:         tile.store %{{.+}}, %[[I]]
func.func @argmax(%x: tensor<4x6xf32>) -> tensor<4xi64> {
  %i = graph.arg_reduce max %x axis = 1 : (tensor<4x6xf32>) -> tensor<4xi64>
  return %i : tensor<4xi64>
}

// -----

// Tests that gelu is one ACT instruction per tile.
// CHECK-LABEL: func.func @gelu
// CHECK:         tile.activation  gelu_tanh
// CHECK:         tile.activation  gelu {{.*}}
func.func @gelu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %g = graph.gelu %x tanh : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %h = graph.gelu %g : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %h : tensor<4x8xf32>
}

// -----

// Tests that a cast of the normalised result is written by the layer norm:
// the f32 rows are stored, converted by a GpSimd copy and stored into the
// cast's buffer.
// CHECK-LABEL: func.func @norm_cast
// CHECK-SAME:    %[[Y:[^:]+]]: memref<6x8xf32, #tile.mem<hbm>> {trellis.output = "y"}, %[[C:[^:]+]]: memref<6x8xbf16, #tile.mem<hbm>> {trellis.output = "c"})
// CHECK:         tile.store %[[Y]] <[0+6 x 8] +0 {{\[\[}}8,1]]>, %[[T:[^ ]+]]
// CHECK:         tile.copy %[[N:[^ ]+]] <[0+6] +0 {{\[\[}}8,1]]>, %[[T]] <[0+6] +0 {{\[\[}}8,1]]> {engine = #tile.engine<pool>} : memref<6x8xbf16, #tile.mem<sbuf>>, memref<6x8xf32, #tile.mem<sbuf>>
// CHECK-NEXT:    tile.store %[[C]] <[0+6 x 8] +0 {{\[\[}}8,1]]>, %[[N]]
func.func @norm_cast(%x: tensor<6x8xf32> {trellis.name = "x"}, %g: tensor<8xf32> {trellis.name = "g"}) -> (tensor<6x8xf32> {trellis.name = "y"}, tensor<6x8xbf16> {trellis.name = "c"}) {
  %y, %m, %r = graph.layer_norm %x scale %g axis = 1 : (tensor<6x8xf32>, tensor<8xf32>) -> (tensor<6x8xf32>, tensor<6x1xf32>, tensor<6x1xf32>)
  %c = graph.cast %y : (tensor<6x8xf32>) -> tensor<6x8xbf16>
  return %y, %c : tensor<6x8xf32>, tensor<6x8xbf16>
}

// -----

// Tests that the scale, the same for every row, is loaded once per tile
// height and shared: rows 0-127 and 128-255 use one [128, 8] load, the
// 44-row tail its own.
// CHECK-LABEL: func.func @shared_scale
// CHECK-SAME:    %[[G:[^:]+]]: memref<8xf32, #tile.mem<hbm>> {trellis.input = "g"}
// CHECK:         tile.load %[[G0:[^ ]+]] <[0+128] +0 {{\[\[}}8,1]]>, %[[G]] <[0+128] +0 {{\[\[}}8,1]]>
// CHECK:         tile.tensor_tensor  mult %{{[^ ]+}} {{.*}}, %[[G0]] <[0+128]
// CHECK-NOT:     tile.load %{{[^ ]+}} <[0+128] +0 {{\[\[}}8,1]]>, %[[G]]
// CHECK:         tile.tensor_tensor  mult %{{[^ ]+}} {{.*}}, %[[G0]] <[0+128]
// CHECK:         tile.load %[[G1:[^ ]+]] <[0+44] +0 {{\[\[}}8,1]]>, %[[G]] <[0+44] +0 {{\[\[}}8,1]]>
// CHECK:         tile.tensor_tensor  mult %{{[^ ]+}} {{.*}}, %[[G1]] <[0+44]
func.func @shared_scale(%x: tensor<300x8xf32> {trellis.name = "x"}, %g: tensor<8xf32> {trellis.name = "g"}) -> (tensor<300x8xf32> {trellis.name = "y"}) {
  %y, %m, %r = graph.layer_norm %x scale %g axis = 1 : (tensor<300x8xf32>, tensor<8xf32>) -> (tensor<300x8xf32>, tensor<300x1xf32>, tensor<300x1xf32>)
  return %y : tensor<300x8xf32>
}

// -----

// Tests a residual add read only by a layer norm: the sum is never stored;
// the layer norm loads both operands and adds them on the vector engine
// before its statistics.
// CHECK-LABEL: func.func @residual_norm
// CHECK-SAME:    (%[[A:[^:]+]]: memref<6x8xf32, #tile.mem<hbm>> {trellis.input = "a"}, %[[B:[^:]+]]: memref<6x8xf32, #tile.mem<hbm>> {trellis.input = "b"}, %[[Y:[^:]+]]: memref<6x8xf32, #tile.mem<hbm>> {trellis.output = "y"})
// CHECK-NOT:     tile.alloc : memref<6x8xf32, #tile.mem<hbm>>
// CHECK:         tile.load %[[TA:[^ ]+]] <[0+6] +0 {{\[\[}}8,1]]>, %[[A]]
// CHECK:         tile.load %[[TB:[^ ]+]] <[0+6] +0 {{\[\[}}8,1]]>, %[[B]]
// CHECK:         tile.tensor_tensor  add %[[S:[^ ]+]] <[0+6] +0 {{\[\[}}8,1]]>, %[[TA]] <[0+6] +0 {{\[\[}}8,1]]>, %[[TB]]
// CHECK:         tile.tensor_reduce  add %{{[^ ]+}} {{.*}}, %[[S]]
// CHECK:         tile.store %[[Y]]
// CHECK-NOT:     tile.store
func.func @residual_norm(%a: tensor<6x8xf32> {trellis.name = "a"}, %b: tensor<6x8xf32> {trellis.name = "b"}) -> (tensor<6x8xf32> {trellis.name = "y"}) {
  %s = graph.add %a, %b : (tensor<6x8xf32>, tensor<6x8xf32>) -> tensor<6x8xf32>
  %y, %m, %r = graph.layer_norm %s axis = 1 : (tensor<6x8xf32>) -> (tensor<6x8xf32>, tensor<6x1xf32>, tensor<6x1xf32>)
  return %y : tensor<6x8xf32>
}

// -----

// Tests that a sum also read by another op is stored as usual.
// CHECK-LABEL: func.func @residual_shared
// CHECK:         tile.tensor_tensor  add
// CHECK:         tile.store %{{.+}}, %{{.+}}
// CHECK:         tile.tensor_reduce  add
func.func @residual_shared(%a: tensor<6x8xf32> {trellis.name = "a"}, %b: tensor<6x8xf32> {trellis.name = "b"}) -> (tensor<6x8xf32> {trellis.name = "y"}, tensor<6x8xf32> {trellis.name = "s"}) {
  %s = graph.add %a, %b : (tensor<6x8xf32>, tensor<6x8xf32>) -> tensor<6x8xf32>
  %y, %m, %r = graph.layer_norm %s axis = 1 : (tensor<6x8xf32>) -> (tensor<6x8xf32>, tensor<6x1xf32>, tensor<6x1xf32>)
  return %y, %s : tensor<6x8xf32>, tensor<6x8xf32>
}

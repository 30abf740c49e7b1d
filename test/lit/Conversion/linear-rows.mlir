// RUN: trellis-opt %s --split-input-file --convert-graph-to-tile | FileCheck %s

// Tests the row form of a dense linear (M >= 128, x^T small enough to keep
// on chip): x^T comes in once, K on the partitions (a full tile and a
// 72-row tail); per 512 columns of w, its K tiles stream as the moving
// operand against the stationary x^T, y rows accumulate in PSUM, the bias
// (one [128, 512] tile, partition stride 0) is added on the vector engine
// in fp32, relu is applied on the activation engine, and the rows are
// stored contiguously. The last column block is 128 wide.
// CHECK-LABEL: func.func @rows
// CHECK-SAME:    (%[[X:.+]]: memref<128x200xbf16, #tile.mem<hbm>> {trellis.input = "x"}, %[[W:.+]]: memref<200x640xbf16, #tile.mem<hbm>> {trellis.input = "w"}, %[[B:.+]]: memref<640xf32, #tile.mem<hbm>> {trellis.input = "b"}, %[[Y:.+]]: memref<128x640xf32, #tile.mem<hbm>> {trellis.output = "y"})
// CHECK:         tile.load %[[XT0:.+]] <[0+128] +0 {{\[\[}}128,1]]>, %[[X]] <[0+128 x 1] +0 {{\[\[}}128,200]]>
// CHECK:         tile.load %[[XT1:.+]] <[0+72] +0 {{\[\[}}128,1]]>, %[[X]] <[0+72 x 1] +128 {{\[\[}}128,200]]>
// CHECK:         tile.load %[[W0:.+]] <[0+128] +0 {{\[\[}}512,1]]>, %[[W]] <[0+128 x 640] +0 {{\[\[}}1,81920],[512,1]]>
// CHECK:         tile.load %[[W1:.+]] <[0+72] +0 {{\[\[}}512,1]]>, %[[W]] <[0+72 x 640] +81920 {{\[\[}}512,1]]>
// CHECK:         tile.load %[[BT:.+]] <[0+128] +0 {{\[\[}}512,1]]>, %[[B]] <[0+128] +0 {{\[\[}}512,1]]>
// CHECK:         tile.matmul %[[PS:.+]] <[0+128] +0 {{\[\[}}512,1]]>, %[[XT0]] <[0+128] +0 {{\[\[}}128,1]]>, %[[W0]] <[0+128] +0 {{\[\[}}512,1]]> start
// CHECK-NEXT:    tile.matmul %[[PS]] <[0+128] +0 {{\[\[}}512,1]]>, %[[XT1]] <[0+72] +0 {{\[\[}}128,1]]>, %[[W1]] <[0+72] +0 {{\[\[}}512,1]]> :
// CHECK:         tile.tensor_tensor  add %[[SUM:.+]] <[0+128] +0 {{\[\[}}512,1]]>, %[[PS]] <[0+128] +0 {{\[\[}}512,1]]>, %[[BT]]
// CHECK:         tile.activation  relu %[[OUT:.+]] <[0+128] +0 {{\[\[}}512,1]]>, %[[SUM]]
// CHECK-NEXT:    tile.store %[[Y]] <[0+128 x 640] +0 {{\[\[}}512,1]]>, %[[OUT]]
// CHECK:         tile.matmul %{{.+}} <[0+128] +0 {{\[\[}}128,1]]>, %[[XT0]] <[0+128] +0 {{\[\[}}128,1]]>
// CHECK:         tile.store %[[Y]] <[0+128 x 640] +512 {{\[\[}}128,1]]>
// CHECK-NOT:     tile.store
func.func @rows(%x: tensor<128x200xbf16> {trellis.name = "x"}, %w: tensor<200x640xbf16> {trellis.name = "w"}, %b: tensor<640xf32> {trellis.name = "b"}) -> (tensor<128x640xf32> {trellis.name = "y"}) {
  %y = graph.linear %x, %w, %b {activation = #graph.activation<relu>} : (tensor<128x200xbf16>, tensor<200x640xbf16>, tensor<640xf32>) -> tensor<128x640xf32>
  return %y : tensor<128x640xf32>
}

// -----

// Tests a bias that varies along M too, with a narrow result and no
// activation: each 128-row block loads its own bias rows, and the add
// writes the bf16 result directly (the one rounding).
// CHECK-LABEL: func.func @rows_general_bias
// CHECK-SAME:    (%[[X:.+]]: memref<256x128xbf16, #tile.mem<hbm>> {trellis.input = "x"}, %[[W:.+]]: memref<128x64xbf16, #tile.mem<hbm>> {trellis.input = "w"}, %[[B:.+]]: memref<256x64xf32, #tile.mem<hbm>> {trellis.input = "b"}, %[[Y:.+]]: memref<256x64xbf16, #tile.mem<hbm>> {trellis.output = "y"})
// CHECK:         tile.matmul %[[P0:.+]] <[0+128] +0 {{\[\[}}64,1]]>, %[[XT:.+]] <[0+128] +0 {{\[\[}}128,1]]>
// CHECK:         tile.load %[[B0:.+]] <[0+128] +0 {{\[\[}}64,1]]>, %[[B]] <[0+128 x 64] +0 {{\[\[}}64,1]]>
// CHECK-NEXT:    tile.tensor_tensor  add %[[O0:.+]] <[0+128] +0 {{\[\[}}64,1]]>, %[[P0]] <[0+128] +0 {{\[\[}}64,1]]>, %[[B0]] {{.*}} : memref<128x64xbf16, #tile.mem<sbuf>>
// CHECK-NEXT:    tile.store %[[Y]] <[0+128 x 64] +0 {{\[\[}}64,1]]>, %[[O0]]
// CHECK:         tile.matmul %{{.+}}, %[[XT]] <[0+128] +128 {{\[\[}}128,1]]>
// CHECK:         tile.load %{{.+}}, %[[B]] <[0+128 x 64] +8192 {{\[\[}}64,1]]>
// CHECK:         tile.store %[[Y]] <[0+128 x 64] +8192 {{\[\[}}64,1]]>
// CHECK-NOT:     tile.activation
func.func @rows_general_bias(%x: tensor<256x128xbf16> {trellis.name = "x"}, %w: tensor<128x64xbf16> {trellis.name = "w"}, %b: tensor<256x64xf32> {trellis.name = "b"}) -> (tensor<256x64xbf16> {trellis.name = "y"}) {
  %y = graph.linear %x, %w, %b : (tensor<256x128xbf16>, tensor<128x64xbf16>, tensor<256x64xf32>) -> tensor<256x64xbf16>
  return %y : tensor<256x64xbf16>
}

// -----

// Tests two row-form linears of one x (q and k of an attention): x^T is
// loaded once, by the first; the second's products use the same tiles.
// CHECK-LABEL: func.func @rows_shared_x
// CHECK-SAME:    (%[[X:.+]]: memref<128x128xbf16, #tile.mem<hbm>> {trellis.input = "x"}
// CHECK:         tile.load %[[XT:.+]] <[0+128] +0 {{\[\[}}128,1]]>, %[[X]] <[0+128 x 1] +0 {{\[\[}}128,128]]>
// CHECK:         tile.matmul %{{.+}}, %[[XT]] <[0+128] +0 {{\[\[}}128,1]]>
// CHECK:         tile.store
// CHECK-NOT:     tile.load %{{.+}}, %[[X]]
// CHECK:         tile.matmul %{{.+}}, %[[XT]] <[0+128] +0 {{\[\[}}128,1]]>
// CHECK:         tile.store
func.func @rows_shared_x(%x: tensor<128x128xbf16> {trellis.name = "x"}, %w1: tensor<128x64xbf16> {trellis.name = "w1"}, %w2: tensor<128x64xbf16> {trellis.name = "w2"}) -> (tensor<128x64xf32> {trellis.name = "q"}, tensor<128x64xf32> {trellis.name = "k"}) {
  %q = graph.linear %x, %w1 : (tensor<128x128xbf16>, tensor<128x64xbf16>) -> tensor<128x64xf32>
  %k = graph.linear %x, %w2 : (tensor<128x128xbf16>, tensor<128x64xbf16>) -> tensor<128x64xf32>
  return %q, %k : tensor<128x64xf32>, tensor<128x64xf32>
}

// -----

// Tests an MLP whose hidden layer h is read only as the x of a row-form
// linear: the first linear computes h^T (w1 stationary, x^T moving; the
// bias column and gelu on the PSUM-evicting activation), which is the
// second's x^T as it stands. h never reaches HBM: no store, no load, and
// no HBM buffer for it; only y is stored.
// CHECK-LABEL: func.func @mlp_hidden_on_chip
// CHECK-SAME:    (%[[X:.+]]: memref<128x64xbf16, #tile.mem<hbm>> {trellis.input = "x"}, %[[W1:.+]]: memref<64x256xbf16, #tile.mem<hbm>> {trellis.input = "w1"}, %[[B1:.+]]: memref<256xf32, #tile.mem<hbm>> {trellis.input = "b1"}, %[[W2:.+]]: memref<256x32xbf16, #tile.mem<hbm>> {trellis.input = "w2"}, %[[Y:.+]]: memref<128x32xf32, #tile.mem<hbm>> {trellis.output = "y"})
// CHECK-NOT:     tile.alloc : memref<128x256xbf16, #tile.mem<hbm>>
// CHECK:         tile.load %[[XT:[0-9]+]] <[0+64] +0 {{\[\[}}128,1]]>, %[[X]] <[0+64 x 1] +0 {{\[\[}}128,64]]>
// CHECK:         tile.matmul %[[P0:[0-9]+]] <[0+128] +0 {{\[\[}}128,1]]>, %{{.+}} <[0+64] +0 {{\[\[}}128,1]]>, %[[XT]] <[0+64] +0 {{\[\[}}128,1]]> start
// CHECK:         tile.activation  gelu %[[H0:[0-9]+]] <[0+128] +0 {{\[\[}}128,1]]>, %[[P0]] <[0+128] +0 {{\[\[}}128,1]]> bias %{{.+}} <[0+128] +0 {{\[\[}}1,1]]>
// CHECK:         tile.activation  gelu %[[H1:[0-9]+]] <[0+128] +0 {{\[\[}}128,1]]>
// CHECK-NOT:     tile.store
// CHECK-NOT:     tile.load %{{.+}} <[0+128] +0 {{\[\[}}128,1]]>
// CHECK:         tile.matmul %[[PY:[0-9]+]] <[0+128] +0 {{\[\[}}32,1]]>, %[[H0]] <[0+128] +0 {{\[\[}}128,1]]>, %{{.+}} start
// CHECK-NEXT:    tile.matmul %[[PY]] <[0+128] +0 {{\[\[}}32,1]]>, %[[H1]] <[0+128] +0 {{\[\[}}128,1]]>
// CHECK:         tile.store %[[Y]]
// CHECK-NOT:     tile.store
func.func @mlp_hidden_on_chip(%x: tensor<128x64xbf16> {trellis.name = "x"}, %w1: tensor<64x256xbf16> {trellis.name = "w1"}, %b1: tensor<256xf32> {trellis.name = "b1"}, %w2: tensor<256x32xbf16> {trellis.name = "w2"}) -> (tensor<128x32xf32> {trellis.name = "y"}) {
  %h = graph.linear %x, %w1, %b1 {activation = #graph.activation<gelu>} : (tensor<128x64xbf16>, tensor<64x256xbf16>, tensor<256xf32>) -> tensor<128x256xbf16>
  %y = graph.linear %h, %w2 : (tensor<128x256xbf16>, tensor<256x32xbf16>) -> tensor<128x32xf32>
  return %y : tensor<128x32xf32>
}

// -----

// Tests a cast read only as the x of a row-form linear (the auto-cast input
// of a layer): each 128-row block comes in contiguously and is converted in
// SBUF, then the PE transposes it against the bf16 identity, one 128-row
// block at a time (so that a reader of the first rows can start early),
// its K tiles (128 and 64 columns of x) side by side in one PSUM bank,
// which the vector and activation engines copy out in turn into the
// linear's x^T tiles. The cast never reaches HBM.
// CHECK-LABEL: func.func @cast_to_linear
// CHECK-SAME:    (%[[X:.+]]: memref<256x192xf32, #tile.mem<hbm>> {trellis.input = "x"}
// CHECK-NOT:     tile.alloc : memref<256x192xbf16, #tile.mem<hbm>>
// CHECK:         tile.load %[[R0:[0-9]+]] <[0+128] +0 {{\[\[}}192,1]]>, %[[X]] <[0+128 x 192] +0 {{\[\[}}192,1]]>
// CHECK-NEXT:    %[[C0:[0-9]+]] = tile.alloc : memref<128x192xbf16, #tile.mem<sbuf>>
// CHECK-NEXT:    tile.copy %[[C0]] <[0+128] +0 {{\[\[}}192,1]]>, %[[R0]]
// CHECK:         tile.load %{{.+}}, %[[X]] <[0+128 x 192] +24576 {{\[\[}}192,1]]>
// CHECK:         %[[C1:[0-9]+]] = tile.alloc : memref<128x192xbf16, #tile.mem<sbuf>>
// CHECK:         tile.constant {{.+}} : tensor<128x128xbf16>
// CHECK:         tile.load %[[I:[0-9]+]] <[0+128] +0 {{\[\[}}128,1]]>
// CHECK-NEXT:    %[[XT0:[0-9]+]] = tile.alloc : memref<128x256xbf16, #tile.mem<sbuf>>
// CHECK-NEXT:    %[[XT1:[0-9]+]] = tile.alloc : memref<64x256xbf16, #tile.mem<sbuf>>
// CHECK-NEXT:    %[[P0:[0-9]+]] = tile.alloc : memref<128x256xf32, #tile.mem<psum>>
// CHECK-NEXT:    tile.matmul %[[P0]] <[0+128] +0 {{\[\[}}128,1]]>, %[[C0]] <[0+128] +0 {{\[\[}}128,1]]>, %[[I]] <[0+128] +0 {{\[\[}}128,1]]> start
// CHECK-NEXT:    tile.matmul %[[P0]] <[0+64] +128 {{\[\[}}128,1]]>, %[[C0]] <[0+128] +128 {{\[\[}}64,1]]>, %[[I]] <[0+128] +0 {{\[\[}}128,1]]> start
// CHECK-NEXT:    tile.copy %[[XT0]] <[0+128] +0 {{\[\[}}128,1]]>, %[[P0]] <[0+128] +0 {{\[\[}}128,1]]> :
// CHECK-NEXT:    tile.copy %[[XT1]] <[0+64] +0 {{\[\[}}128,1]]>, %[[P0]] <[0+64] +128 {{\[\[}}128,1]]> {engine = #tile.engine<act>}
// CHECK:         tile.matmul %{{.+}} <[0+128] +0 {{\[\[}}128,1]]>, %[[C1]] <[0+128] +0 {{\[\[}}128,1]]>, %[[I]]
// CHECK:         tile.copy %[[XT0]] <[0+128] +128 {{\[\[}}128,1]]>
// CHECK:         tile.copy %[[XT1]] <[0+64] +128 {{\[\[}}128,1]]>
// CHECK-NOT:     tile.store
// CHECK:         tile.matmul %{{.+}} <[0+128] +0 {{\[\[}}64,1]]>, %[[XT0]] <[0+128] +0 {{\[\[}}128,1]]>, %{{.+}} start
// CHECK-NEXT:    tile.matmul %{{.+}} <[0+128] +0 {{\[\[}}64,1]]>, %[[XT1]] <[0+64] +0 {{\[\[}}128,1]]>
func.func @cast_to_linear(%x: tensor<256x192xf32> {trellis.name = "x"}, %w: tensor<192x64xbf16> {trellis.name = "w"}) -> (tensor<256x64xf32> {trellis.name = "y"}) {
  %c = graph.cast %x : (tensor<256x192xf32>) -> tensor<256x192xbf16>
  %y = graph.linear %c, %w : (tensor<256x192xbf16>, tensor<192x64xbf16>) -> tensor<256x64xf32>
  return %y : tensor<256x64xf32>
}

// -----

// Tests a layer norm whose bf16 copy (defineCastOfResult) is read only by a
// row-form linear: the converted row tiles are transposed on the PE into
// the linear's x^T instead of being stored; the f32 result is stored.
// CHECK-LABEL: func.func @norm_to_linear
// CHECK-NOT:     tile.alloc : memref<128x64xbf16, #tile.mem<hbm>>
// CHECK:         tile.copy %[[N:[0-9]+]] <[0+128] +0 {{\[\[}}64,1]]>, %{{.+}} {engine = #tile.engine<pool>} : memref<128x64xbf16, #tile.mem<sbuf>>
// CHECK-NOT:     tile.store {{.+}}, %[[N]]
// CHECK:         tile.matmul %[[P:[0-9]+]] <[0+64] +0 {{\[\[}}128,1]]>, %[[N]] <[0+128] +0 {{\[\[}}64,1]]>, %{{.+}} start
// CHECK-NEXT:    tile.copy %[[XT:[0-9]+]] <[0+64] +0 {{\[\[}}128,1]]>, %[[P]]
// CHECK:         tile.matmul %{{.+}}, %[[XT]] <[0+64] +0 {{\[\[}}128,1]]>
func.func @norm_to_linear(%x: tensor<128x64xf32> {trellis.name = "x"}, %s: tensor<64xf32> {trellis.name = "s"}, %w: tensor<64x32xbf16> {trellis.name = "w"}) -> (tensor<128x64xf32> {trellis.name = "n"}, tensor<128x32xf32> {trellis.name = "y"}) {
  %n, %mean, %rstd = graph.layer_norm %x scale %s axis = 1 epsilon = 1.0e-5 : (tensor<128x64xf32>, tensor<64xf32>) -> (tensor<128x64xf32>, tensor<128x1xf32>, tensor<128x1xf32>)
  %c = graph.cast %n : (tensor<128x64xf32>) -> tensor<128x64xbf16>
  %y = graph.linear %c, %w : (tensor<128x64xbf16>, tensor<64x32xbf16>) -> tensor<128x32xf32>
  return %n, %y : tensor<128x64xf32>, tensor<128x32xf32>
}

// -----

// Tests a row-form linear read only through the residual add a layer norm
// folds in: each 128 rows of y are computed into one [128, N] tile, which
// the layer norm adds to the residual rows as they stand; nothing loads y
// back, so its stores and HBM buffer are gone, and only the norm's result
// is stored.
// CHECK-LABEL: func.func @rows_to_norm
// CHECK-NOT:     tile.alloc : memref<128x96xf32, #tile.mem<hbm>>
// CHECK:         tile.activation  identity %[[Y:[0-9]+]] <[0+128] +0 {{\[\[}}96,1]]>, %{{.+}} : memref<128x96xf32, #tile.mem<sbuf>>, memref<128x96xf32, #tile.mem<psum>>
// CHECK-NOT:     tile.store
// CHECK:         tile.load %[[R:[0-9]+]] <[0+128] +0 {{\[\[}}96,1]]>, %arg2
// CHECK-NEXT:    %[[S:[0-9]+]] = tile.alloc
// CHECK-NEXT:    tile.tensor_tensor  add %[[S]] <[0+128] +0 {{\[\[}}96,1]]>, %[[R]] <[0+128] +0 {{\[\[}}96,1]]>, %[[Y]] <[0+128] +0 {{\[\[}}96,1]]>
// CHECK:         tile.store %arg4
// CHECK-NOT:     tile.store
func.func @rows_to_norm(%x: tensor<128x64xbf16> {trellis.name = "x"}, %w: tensor<64x96xbf16> {trellis.name = "w"}, %r: tensor<128x96xf32> {trellis.name = "r"}, %s: tensor<96xf32> {trellis.name = "s"}) -> (tensor<128x96xf32> {trellis.name = "n"}) {
  %y = graph.linear %x, %w : (tensor<128x64xbf16>, tensor<64x96xbf16>) -> tensor<128x96xf32>
  %a = graph.add %r, %y : (tensor<128x96xf32>, tensor<128x96xf32>) -> tensor<128x96xf32>
  %n, %mean, %rstd = graph.layer_norm %a scale %s axis = 1 epsilon = 1.0e-5 : (tensor<128x96xf32>, tensor<96xf32>) -> (tensor<128x96xf32>, tensor<128x1xf32>, tensor<128x1xf32>)
  return %n : tensor<128x96xf32>
}

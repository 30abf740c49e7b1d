// RUN: trellis-opt %s --split-input-file --convert-graph-to-tile | FileCheck %s

// Tests that a slice walking a dimension backwards is unrolled along it: each
// output column is a DMA move (load, store of the same tile) of one input
// column, since access patterns have non-negative strides.
// CHECK-LABEL: func.func @reverse
// CHECK-SAME:    (%[[X:.+]]: memref<2x3xf32, #tile.mem<hbm>> {trellis.input = "x"}, %[[Y:.+]]: memref<2x2xf32, #tile.mem<hbm>> {trellis.output = "y"})
// CHECK:         %[[T0:.+]] = tile.alloc : memref<2x1xf32, #tile.mem<sbuf>>
// CHECK-NEXT:    tile.load %[[T0]] <[0+2] +0 {{\[\[}}1,1]]>, %[[X]] <[0+2 x 3] +2 {{\[\[}}1,0]]>
// CHECK-NEXT:    tile.store %[[Y]] <[0+2 x 2] +0 {{\[\[}}1,0]]>, %[[T0]]
// CHECK:         %[[T1:.+]] = tile.alloc : memref<2x1xf32, #tile.mem<sbuf>>
// CHECK-NEXT:    tile.load %[[T1]] <[0+2] +0 {{\[\[}}1,1]]>, %[[X]] <[0+2 x 3] +0 {{\[\[}}1,0]]>
// CHECK-NEXT:    tile.store %[[Y]] <[0+2 x 2] +1 {{\[\[}}1,0]]>, %[[T1]]
// CHECK:         return
func.func @reverse(%x: tensor<2x3xf32> {trellis.name = "x"}) -> (tensor<2x2xf32> {trellis.name = "y"}) {
  %s = graph.slice %x {starts = array<i64: 0, 2>, steps = array<i64: 1, -2>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return %s : tensor<2x2xf32>
}

// -----

// Tests that pad fills the border as disjoint boxes (the row above, then the
// two columns right of the interior rows) and moves the input into the
// interior, so no two stores write the same bytes.
// CHECK-LABEL: func.func @pad
// CHECK-SAME:    (%[[X:.+]]: memref<2x3xf32, #tile.mem<hbm>> {trellis.input = "x"}, %[[Y:.+]]: memref<3x5xf32, #tile.mem<hbm>> {trellis.output = "y"})
// CHECK:         %[[TOP:.+]] = tile.alloc : memref<1x5xf32, #tile.mem<sbuf>>
// CHECK-NEXT:    tile.memset %[[TOP]] <[0+1] +0 {{\[\[}}5,1]]>, 1.500000e+00
// CHECK-NEXT:    tile.store %[[Y]] <[0+1 x 5] +0 {{\[\[}}5,1]]>, %[[TOP]]
// CHECK:         %[[RIGHT:.+]] = tile.alloc : memref<2x2xf32, #tile.mem<sbuf>>
// CHECK-NEXT:    tile.memset %[[RIGHT]] <[0+2] +0 {{\[\[}}2,1]]>, 1.500000e+00
// CHECK-NEXT:    tile.store %[[Y]] <[0+2 x 5] +8 {{\[\[}}2,1]]>, %[[RIGHT]]
// CHECK:         %[[IN:.+]] = tile.alloc : memref<2x3xf32, #tile.mem<sbuf>>
// CHECK-NEXT:    tile.load %[[IN]] <[0+2] +0 {{\[\[}}3,1]]>, %[[X]] <[0+2 x 3] +0 {{\[\[}}3,1]]>
// CHECK-NEXT:    tile.store %[[Y]] <[0+2 x 5] +5 {{\[\[}}3,1]]>, %[[IN]]
func.func @pad(%x: tensor<2x3xf32> {trellis.name = "x"}) -> (tensor<3x5xf32> {trellis.name = "y"}) {
  %p = graph.pad %x {low = array<i64: 1, 0>, high = array<i64: 0, 2>, value = 1.5 : f64} : (tensor<2x3xf32>) -> tensor<3x5xf32>
  return %p : tensor<3x5xf32>
}

// -----

// Tests that a comparison runs on the vector engine with its broadcast
// operand read through a zero-stride view, writing an i1 (byte) tile.
// CHECK-LABEL: func.func @less
// CHECK-SAME:    (%[[A:.+]]: memref<4x8xf32, #tile.mem<hbm>> {trellis.input = "a"}, %[[B:.+]]: memref<8xf32, #tile.mem<hbm>> {trellis.input = "b"}, %[[Y:.+]]: memref<4x8xi1, #tile.mem<hbm>> {trellis.output = "y"})
// CHECK:         tile.load %[[AT:.+]] <[0+4] +0 {{\[\[}}8,1]]>, %[[A]] <[0+4 x 8] +0 {{\[\[}}8,1]]>
// CHECK:         tile.load %[[BT:.+]] <[0+4] +0 {{\[\[}}8,1]]>, %[[B]] <[0+4] +0 {{\[\[}}8,1]]>
// CHECK:         %[[M:.+]] = tile.alloc : memref<4x8xi1, #tile.mem<sbuf>>
// CHECK-NEXT:    tile.tensor_tensor is_lt %[[M]] <[0+4] +0 {{\[\[}}8,1]]>, %[[AT]] <[0+4] +0 {{\[\[}}8,1]]>, %[[BT]]
// CHECK-NEXT:    tile.store %[[Y]] <[0+4 x 8] +0 {{\[\[}}8,1]]>, %[[M]]
func.func @less(%a: tensor<4x8xf32> {trellis.name = "a"}, %b: tensor<8xf32> {trellis.name = "b"}) -> (tensor<4x8xi1> {trellis.name = "y"}) {
  %m = graph.compare lt %a, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xi1>
  return %m : tensor<4x8xi1>
}

// -----

// Tests a gather at run-time indices: the indices are loaded as a column,
// negative ones wrapped (idx += 5 * (idx < 0)) on the vector engine, and an
// indirect DMA fetches one table row per partition.
// CHECK-LABEL: func.func @gather
// CHECK-SAME:    (%[[X:.+]]: memref<5x3xf32, #tile.mem<hbm>> {trellis.input = "x"}, %[[I:.+]]: memref<2xi64, #tile.mem<hbm>> {trellis.input = "i"}, %[[Y:.+]]: memref<2x3xf32, #tile.mem<hbm>> {trellis.output = "y"})
// CHECK:         %[[IDX:.+]] = tile.alloc : memref<2x1xi64, #tile.mem<sbuf>>
// CHECK-NEXT:    tile.load %[[IDX]] <[0+2] +0 {{\[\[}}1,1]]>, %[[I]] <[0+2 x 1] +0 {{\[\[}}1,1]]>
// CHECK-NEXT:    %[[WRAP:.+]] = tile.alloc : memref<2x1xi64, #tile.mem<sbuf>>
// CHECK-NEXT:    tile.tensor_scalar is_lt 0.000000e+00, mult 5.000000e+00 %[[WRAP]] {{.*}}, %[[IDX]]
// CHECK-NEXT:    tile.tensor_tensor add %[[IDX]] {{.*}}, %[[IDX]] {{.*}}, %[[WRAP]]
// CHECK-NEXT:    %[[ROWS:.+]] = tile.alloc : memref<2x3xf32, #tile.mem<sbuf>>
// CHECK-NEXT:    tile.load_gather %[[ROWS]] <[0+2] +0 {{\[\[}}3,1]]>, %[[X]] <[0+5 x 3] +0 {{\[\[}}3,1]]>, %[[IDX]] <[0+2] +0 {{\[\[}}1,1]]>
// CHECK-NEXT:    tile.store %[[Y]] <[0+2 x 3] +0 {{\[\[}}3,1]]>, %[[ROWS]]
func.func @gather(%x: tensor<5x3xf32> {trellis.name = "x"}, %i: tensor<2xi64> {trellis.name = "i"}) -> (tensor<2x3xf32> {trellis.name = "y"}) {
  %g = graph.gather %x, %i {axis = 0 : i64} : (tensor<5x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return %g : tensor<2x3xf32>
}

// -----

// Tests that a reshape moves nothing: the relu reads the input's buffer
// through the reshaped shape, and no op is emitted for the reshape.
// CHECK-LABEL: func.func @reshape_aliases
// CHECK-SAME:    (%[[X:.+]]: memref<2x6xf32, #tile.mem<hbm>> {trellis.input = "x"}, %[[Y:.+]]: memref<3x4xf32, #tile.mem<hbm>> {trellis.output = "y"})
// CHECK-NOT:     tile.store
// CHECK:         tile.load %{{.+}}, %[[X]]
// CHECK-NOT:     tile.load
// CHECK:         tile.activation
// CHECK-NEXT:    tile.store %[[Y]]
// CHECK-NOT:     tile.store
// CHECK:         return
func.func @reshape_aliases(%x: tensor<2x6xf32> {trellis.name = "x"}) -> (tensor<3x4xf32> {trellis.name = "y"}) {
  %r = graph.reshape %x : (tensor<2x6xf32>) -> tensor<3x4xf32>
  %y = graph.relu %r : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// Tests the results that share a buffer through a reshape: a computed
// value returned both as is and reshaped is computed into the first output,
// and the second output is a copy of it; a reshaped input is copied out.
// CHECK-LABEL: func.func @reshape_results
// CHECK-SAME:    (%[[X:.+]]: memref<2x6xf32, #tile.mem<hbm>> {trellis.input = "x"}, %[[A:.+]]: memref<2x6xf32, #tile.mem<hbm>> {trellis.output = "a"}, %[[B:.+]]: memref<12xf32, #tile.mem<hbm>> {trellis.output = "b"}, %[[C:.+]]: memref<6x2xf32, #tile.mem<hbm>> {trellis.output = "c"})
// CHECK-NOT:     tile.alloc : memref<{{.*}}#tile.mem<hbm>>
// CHECK:         tile.activation
// CHECK-NEXT:    tile.store %[[A]]
// CHECK:         tile.load %{{.+}}, %[[A]]
// CHECK:         tile.store %[[B]]
// CHECK:         tile.load %{{.+}}, %[[X]]
// CHECK:         tile.store %[[C]]
// CHECK:         return
func.func @reshape_results(%x: tensor<2x6xf32> {trellis.name = "x"}) -> (tensor<2x6xf32> {trellis.name = "a"}, tensor<12xf32> {trellis.name = "b"}, tensor<6x2xf32> {trellis.name = "c"}) {
  %a = graph.relu %x : (tensor<2x6xf32>) -> tensor<2x6xf32>
  %b = graph.reshape %a : (tensor<2x6xf32>) -> tensor<12xf32>
  %c = graph.reshape %x : (tensor<2x6xf32>) -> tensor<6x2xf32>
  return %a, %b, %c : tensor<2x6xf32>, tensor<12xf32>, tensor<6x2xf32>
}

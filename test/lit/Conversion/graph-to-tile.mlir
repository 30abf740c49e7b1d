// RUN: trellis-opt %s --split-input-file --convert-graph-to-tile | FileCheck %s

// Tests the weight-stationary mapping of a linear layer: x is loaded
// transposed ([K, M], K on partitions) once per row block as the moving
// matrix, the weight [K, N] is stationary, and the bias along N rides on the
// PSUM-evicting activation.
// CHECK-LABEL: func.func @linear
// CHECK-SAME:    (%[[X:.+]]: memref<8x16xf32, #tile.mem<hbm>> {trellis.input = "x"}, %[[Y:.+]]: memref<8x4xf32, #tile.mem<hbm>> {trellis.output = "y"})
// CHECK-DAG:     %[[W:.+]] = tile.constant {{.*}} -> memref<16x4xf32, #tile.mem<hbm>>
// CHECK-DAG:     %[[B:.+]] = tile.constant {{.*}} -> memref<4xf32, #tile.mem<hbm>>
// CHECK:         %[[XS:.+]] = tile.alloc : memref<16x8xf32, #tile.mem<sbuf>>
// CHECK:         tile.load %[[XS]] <[0+16] +0 {{\[\[}}8,1]]>, %[[X]] <[0+16 x 1] +0 {{\[\[}}8,16]]>
// CHECK:         %[[BS:.+]] = tile.alloc : memref<4x1xf32, #tile.mem<sbuf>>
// CHECK:         tile.load %[[BS]] <[0+4] +0 {{\[\[}}1,1]]>, %[[B]] <[0+4 x 1] +0 {{\[\[}}1,1]]>
// CHECK:         %[[PS:.+]] = tile.alloc : memref<4x8xf32, #tile.mem<psum>>
// CHECK:         %[[WS:.+]] = tile.alloc : memref<16x4xf32, #tile.mem<sbuf>>
// CHECK:         tile.load %[[WS]] <[0+16] +0 {{\[\[}}4,1]]>, %[[W]] <[0+16 x 4] +0 {{\[\[}}4,1]]>
// CHECK:         tile.matmul %[[PS]] <[0+4] +0 {{\[\[}}8,1]]>, %[[WS]] <[0+16] +0 {{\[\[}}4,1]]>, %[[XS]] <[0+16] +0 {{\[\[}}8,1]]> start
// CHECK:         %[[O:.+]] = tile.alloc : memref<4x8xf32, #tile.mem<sbuf>>
// CHECK:         tile.activation relu %[[O]] {{.*}}, %[[PS]] {{.*}} bias %[[BS]]
// CHECK:         tile.store %[[Y]] <[0+4 x 1] +0 {{\[\[}}8,4]]>, %[[O]]
func.func @linear(%x: tensor<8x16xf32> {trellis.name = "x"}) -> (tensor<8x4xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<0.5> : tensor<16x4xf32>
  %b = graph.constant dense<[1.0, -2.0, 3.0, -4.0]> : tensor<4xf32>
  %l = graph.linear %x, %w, %b {activation = #graph.activation<relu>} : (tensor<8x16xf32>, tensor<16x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  return %l : tensor<8x4xf32>
}

// -----

// Tests that K = 300 is contracted in 128-row chunks (128, 128, 44)
// accumulated in one PSUM tile, that the three moving tiles are loaded once
// and reused by both weight columns, and that N = 200 is split 128 + 72.
// CHECK-LABEL: func.func @chunks
// CHECK:         %[[X0:.+]] = tile.alloc : memref<128x4xf32, #tile.mem<sbuf>>
// CHECK:         %[[X1:.+]] = tile.alloc : memref<128x4xf32, #tile.mem<sbuf>>
// CHECK:         %[[X2:.+]] = tile.alloc : memref<44x4xf32, #tile.mem<sbuf>>
// CHECK:         tile.matmul %[[P0:[^ ]+]] <[0+128] {{.*}}, %[[X0]] <[0+128] {{.*}} start
// CHECK:         tile.matmul %[[P0]] <[0+128] {{.*}}, %[[X1]] <[0+128] {{.*}} : memref
// CHECK:         tile.matmul %[[P0]] <[0+128] {{.*}}, %[[X2]] <[0+44] {{.*}} : memref
// CHECK:         tile.store
// CHECK:         tile.matmul %[[P1:[^ ]+]] <[0+72] {{.*}}, %[[X0]] {{.*}} start
// CHECK:         tile.matmul %[[P1]] <[0+72] {{.*}}, %[[X1]]
// CHECK:         tile.matmul %[[P1]] <[0+72] {{.*}}, %[[X2]]
// CHECK:         tile.store
// CHECK-NOT:     tile.matmul
func.func @chunks(%x: tensor<4x300xf32>, %w: tensor<300x200xf32>) -> tensor<4x200xf32> {
  %l = graph.linear %x, %w : (tensor<4x300xf32>, tensor<300x200xf32>) -> tensor<4x200xf32>
  return %l : tensor<4x200xf32>
}

// -----

// Tests that broadcasting add loads the [5] operand with zero strides.
// CHECK-LABEL: func.func @add_bcast
// CHECK-SAME:    (%[[A:.+]]: memref<3x4x5xf32, #tile.mem<hbm>> {{.*}}, %[[B:.+]]: memref<5xf32, #tile.mem<hbm>> {{.*}}, %[[C:.+]]: memref<3x4x5xf32, #tile.mem<hbm>>
// CHECK:         tile.load %{{.+}} <[0+3] +0 {{\[\[}}20,1]]>, %[[A]] <[0+3 x 20] +0 {{\[\[}}4,5],[5,1]]>
// CHECK:         tile.load %{{.+}} <[0+3] +0 {{\[\[}}20,1]]>, %[[B]] <[0+3] +0 {{\[\[}}4,0],[5,1]]>
// CHECK:         tile.tensor_tensor add
// CHECK:         tile.store %[[C]] <[0+3 x 20] +0 {{\[\[}}4,5],[5,1]]>
func.func @add_bcast(%a: tensor<3x4x5xf32>, %b: tensor<5xf32>) -> tensor<3x4x5xf32> {
  %s = graph.add %a, %b : (tensor<3x4x5xf32>, tensor<5xf32>) -> tensor<3x4x5xf32>
  return %s : tensor<3x4x5xf32>
}

// -----

// Tests that returning an input copies it into the output buffer.
// CHECK-LABEL: func.func @identity
// CHECK:         tile.load
// CHECK:         tile.copy
// CHECK:         tile.store
func.func @identity(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  return %a : tensor<2x3xf32>
}

// -----

// Tests that a batched matmul becomes one 2-D matmul per batch, at the
// batch's offset in each operand.
// CHECK-LABEL: func.func @batched
// CHECK:         tile.load {{.*}}, %arg0 <[0+4 x 1] +0
// CHECK:         tile.load {{.*}}, %arg1 <[0+4 x 5] +0
// CHECK:         tile.matmul
// CHECK:         tile.store %arg2 <[0+5 x 1] +0
// CHECK:         tile.load {{.*}}, %arg0 <[0+4 x 1] +12
// CHECK:         tile.load {{.*}}, %arg1 <[0+4 x 5] +20
// CHECK:         tile.matmul
// CHECK:         tile.store %arg2 <[0+5 x 1] +15
func.func @batched(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>) -> tensor<2x3x5xf32> {
  %m = graph.matmul %a, %b : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  return %m : tensor<2x3x5xf32>
}

// -----

// Tests that a graph.binary runs as one vector-engine tensor_tensor with its
// ALU op, the [4, 1] operand broadcast along both free axes by zero strides.
// CHECK-LABEL: func.func @sub_bcast
// CHECK-SAME:    (%[[A:.+]]: memref<3x4x5xf32, #tile.mem<hbm>> {{.*}}, %[[B:.+]]: memref<4x1xf32, #tile.mem<hbm>> {{.*}}, %[[C:.+]]: memref<3x4x5xf32, #tile.mem<hbm>>
// CHECK:         tile.load %[[AS:[^ ]+]] <[0+3] +0 {{\[\[}}20,1]]>, %[[A]] <[0+3 x 20] +0 {{\[\[}}4,5],[5,1]]>
// CHECK:         tile.load %[[BS:[^ ]+]] <[0+3] +0 {{\[\[}}20,1]]>, %[[B]] <[0+3] +0 {{\[\[}}4,1],[5,0]]>
// CHECK:         tile.tensor_tensor subtract %[[D:[^ ]+]] {{.*}}, %[[AS]] {{.*}}, %[[BS]]
// CHECK:         tile.store %[[C]] <[0+3 x 20] +0 {{\[\[}}4,5],[5,1]]>, %[[D]]
func.func @sub_bcast(%a: tensor<3x4x5xf32>, %b: tensor<4x1xf32>) -> tensor<3x4x5xf32> {
  %s = graph.binary sub %a, %b : (tensor<3x4x5xf32>, tensor<4x1xf32>) -> tensor<3x4x5xf32>
  return %s : tensor<3x4x5xf32>
}

// -----

// Tests that a unary function the activation engine has is one activation
// (neg: identity with scale -1), and that the others become vector-engine
// steps: leaky_relu = relu(x) + alpha * min(x, 0), hard_sigmoid =
// clamp(alpha * x + beta, 0, 1).
// CHECK-LABEL: func.func @unary
// CHECK:         tile.activation identity %{{[^ ]+}} {{.*}}, %{{[^ ]+}} {{.*}} scale -1.000000e+00
// CHECK:         tile.load %[[X:[^ ]+]] <
// CHECK:         %[[R:.+]] = tile.alloc : memref<2x3xf32, #tile.mem<sbuf>>
// CHECK:         %[[N:.+]] = tile.alloc : memref<2x3xf32, #tile.mem<sbuf>>
// CHECK:         tile.tensor_scalar min 0.000000e+00, mult 1.000000e-01 %[[N]] {{.*}}, %[[X]]
// CHECK:         tile.activation relu %[[R]] {{.*}}, %[[X]]
// CHECK:         tile.tensor_tensor add %[[R]] {{.*}}, %[[R]] {{.*}}, %[[N]]
// CHECK:         tile.tensor_scalar mult 2.000000e-01, add 5.000000e-01 %[[H:[^ ]+]]
// CHECK:         tile.tensor_scalar max 0.000000e+00, min 1.000000e+00 %[[H]] {{.*}}, %[[H]]
// CHECK:         tile.activation exp
func.func @unary(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %n = graph.unary neg %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %l = graph.unary leaky_relu %n {alpha = 0.1 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %h = graph.unary hard_sigmoid %l {alpha = 0.2 : f32, beta = 0.5 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %e = graph.unary exp %h : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %e : tensor<2x3xf32>
}

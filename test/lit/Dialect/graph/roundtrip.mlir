// RUN: trellis-opt %s --verify-roundtrip | FileCheck %s

// Tests that every graph op prints and parses back.
// CHECK-LABEL: func.func @ops
func.func @ops(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>, %c: tensor<4xf32>) -> tensor<4x8xf32> {
  // CHECK: %[[W:.+]] = graph.constant dense<1.000000e+00> : tensor<16x4xf32>
  %w = graph.constant dense<1.0> : tensor<16x4xf32>
  // CHECK: %[[M:.+]] = graph.matmul %{{.+}}, %[[W]] : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
  %m = graph.matmul %a, %w : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
  // CHECK: graph.linear %{{.+}}, %{{.+}}, %{{.+}} {activation = #graph.activation<relu>, alpha = 2.000000e+00 : f32} : (tensor<8x16xf32>, tensor<16x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %l = graph.linear %a, %b, %c {activation = #graph.activation<relu>, alpha = 2.0 : f32} : (tensor<8x16xf32>, tensor<16x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  // CHECK: graph.add %[[M]], %{{.+}} : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %s = graph.add %m, %c : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  // CHECK: graph.relu
  %r = graph.relu %s : (tensor<8x4xf32>) -> tensor<8x4xf32>
  %r2 = graph.add %r, %l : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  // CHECK: graph.transpose %{{.+}} {perm = array<i64: 1, 0>} : (tensor<8x4xf32>) -> tensor<4x8xf32>
  %t = graph.transpose %r2 {perm = array<i64: 1, 0>} : (tensor<8x4xf32>) -> tensor<4x8xf32>
  return %t : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @batched
func.func @batched(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) -> tensor<2x3x5xf32> {
  // CHECK: graph.matmul {{.*}} -> tensor<2x3x5xf32>
  %m = graph.matmul %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
  return %m : tensor<2x3x5xf32>
}

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<3x4xf32> {
  // CHECK: graph.binary sub %{{.+}}, %{{.+}} : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %s = graph.binary sub %a, %b : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  // CHECK: graph.binary pow
  %p = graph.binary pow %s, %b : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  // CHECK: graph.unary sigmoid %{{.+}} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  %g = graph.unary sigmoid %p : (tensor<3x4xf32>) -> tensor<3x4xf32>
  // CHECK: graph.unary leaky_relu %{{.+}} {alpha = 1.000000e-01 : f32}
  %l = graph.unary leaky_relu %g {alpha = 0.1 : f32} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  // CHECK: graph.unary hard_sigmoid %{{.+}} {alpha = 2.000000e-01 : f32, beta = 5.000000e-01 : f32}
  %h = graph.unary hard_sigmoid %l {alpha = 0.2 : f32, beta = 0.5 : f32} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return %h : tensor<3x4xf32>
}

// CHECK-LABEL: func.func @integer_elementwise
func.func @integer_elementwise(%a: tensor<3xi32>, %b: tensor<3xui8>, %e: tensor<3xi64>) -> tensor<3xf32> {
  // CHECK: graph.add %{{.+}}, %{{.+}} : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  %s = graph.add %b, %b : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  // The exponent of pow may have another element type; the result has the base's.
  // CHECK: graph.binary pow %{{.+}}, %{{.+}} : (tensor<3xi32>, tensor<3xi64>) -> tensor<3xi32>
  %p = graph.binary pow %a, %e : (tensor<3xi32>, tensor<3xi64>) -> tensor<3xi32>
  %f = graph.constant dense<2.0> : tensor<3xf32>
  // CHECK: graph.binary pow %{{.+}}, %{{.+}} : (tensor<3xf32>, tensor<3xi32>) -> tensor<3xf32>
  %q = graph.binary pow %f, %p : (tensor<3xf32>, tensor<3xi32>) -> tensor<3xf32>
  return %q : tensor<3xf32>
}

// RUN: trellis-opt %s --verify-roundtrip | FileCheck %s

// Tests that every op of the shape family prints and parses back.
// CHECK-LABEL: func.func @shape_ops
// CHECK-SAME:    (%[[X:.+]]: tensor<2x3xf32>, %[[I:.+]]: tensor<2xi64>, %[[B:.+]]: tensor<3xi1>)
func.func @shape_ops(%x: tensor<2x3xf32>, %i: tensor<2xi64>, %b: tensor<3xi1>) {
  // CHECK: graph.reshape %[[X]] : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %r = graph.reshape %x : (tensor<2x3xf32>) -> tensor<3x2xf32>
  // CHECK: graph.expand %[[X]] : (tensor<2x3xf32>) -> tensor<4x2x3xf32>
  %e = graph.expand %x : (tensor<2x3xf32>) -> tensor<4x2x3xf32>
  // CHECK: graph.slice %[[X]] {starts = array<i64: 1, 2>, steps = array<i64: 1, -2>} : (tensor<2x3xf32>) -> tensor<1x2xf32>
  %s = graph.slice %x {starts = array<i64: 1, 2>, steps = array<i64: 1, -2>} : (tensor<2x3xf32>) -> tensor<1x2xf32>
  // CHECK: graph.concat %[[X]], %[[X]] {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  %c = graph.concat %x, %x {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  // CHECK: graph.gather %[[X]], %[[I]] {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x2xf32>
  %g = graph.gather %x, %i {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x2xf32>
  // CHECK: graph.pad %[[X]] {high = array<i64: 0, 2>, low = array<i64: 1, 0>, value = 1.500000e+00 : f64} : (tensor<2x3xf32>) -> tensor<3x5xf32>
  %p = graph.pad %x {low = array<i64: 1, 0>, high = array<i64: 0, 2>, value = 1.5 : f64} : (tensor<2x3xf32>) -> tensor<3x5xf32>
  // CHECK: graph.cast %[[X]] : (tensor<2x3xf32>) -> tensor<2x3xbf16>
  %t = graph.cast %x : (tensor<2x3xf32>) -> tensor<2x3xbf16>
  // CHECK: graph.compare ge %[[X]], %[[X]] : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  %m = graph.compare ge %x, %x : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  // CHECK: graph.logical or %{{.+}}, %[[B]] : (tensor<2x3xi1>, tensor<3xi1>) -> tensor<2x3xi1>
  %l = graph.logical or %m, %b : (tensor<2x3xi1>, tensor<3xi1>) -> tensor<2x3xi1>
  // CHECK: graph.not %[[B]] : (tensor<3xi1>) -> tensor<3xi1>
  %n = graph.not %b : (tensor<3xi1>) -> tensor<3xi1>
  // CHECK: graph.select %[[B]], %[[X]], %[[X]] : (tensor<3xi1>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %w = graph.select %b, %x, %x : (tensor<3xi1>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

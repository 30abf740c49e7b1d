// RUN: trellis-opt %s --split-input-file --verify-roundtrip | FileCheck %s

// Tests that softmax prints and parses back, with and without `log`, over one
// and several axes.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME:    (%[[X:.+]]: tensor<3x4x5xf32>)
// CHECK:         %[[S:.+]] = graph.softmax %[[X]] axes = [1] : (tensor<3x4x5xf32>) -> tensor<3x4x5xf32>
// CHECK:         graph.softmax %[[S]] axes = [1, 2] log : (tensor<3x4x5xf32>) -> tensor<3x4x5xf32>
func.func @softmax(%x: tensor<3x4x5xf32>) -> tensor<3x4x5xf32> {
  %s = graph.softmax %x axes = [1] : (tensor<3x4x5xf32>) -> tensor<3x4x5xf32>
  %l = graph.softmax %s axes = [1, 2] log : (tensor<3x4x5xf32>) -> tensor<3x4x5xf32>
  return %l : tensor<3x4x5xf32>
}

// -----

// Tests that reductions infer the kept and dropped axes.
// CHECK-LABEL: func.func @reduce
// CHECK:         graph.reduce  sum %{{.+}} axes = [1] keepdims : (tensor<3x2x2xf32>) -> tensor<3x1x2xf32>
// CHECK:         graph.reduce  log_sum_exp %{{.+}} axes = [0, 2] : (tensor<3x2x2xf32>) -> tensor<2xf32>
func.func @reduce(%x: tensor<3x2x2xf32>) -> (tensor<3x1x2xf32>, tensor<2xf32>) {
  %s = graph.reduce sum %x axes = [1] keepdims : (tensor<3x2x2xf32>) -> tensor<3x1x2xf32>
  %l = graph.reduce log_sum_exp %x axes = [0, 2] : (tensor<3x2x2xf32>) -> tensor<2xf32>
  return %s, %l : tensor<3x1x2xf32>, tensor<2xf32>
}

// -----

// Tests that arg_reduce yields i64 indices with its flags.
// CHECK-LABEL: func.func @arg_reduce
// CHECK:         graph.arg_reduce  max %{{.+}} axis = 1 keepdims : (tensor<2x3x4xf32>) -> tensor<2x1x4xi64>
// CHECK:         graph.arg_reduce  min %{{.+}} axis = 2 select_last_index : (tensor<2x3x4xf32>) -> tensor<2x3xi64>
func.func @arg_reduce(%x: tensor<2x3x4xf32>) -> (tensor<2x1x4xi64>, tensor<2x3xi64>) {
  %a = graph.arg_reduce max %x axis = 1 keepdims : (tensor<2x3x4xf32>) -> tensor<2x1x4xi64>
  %b = graph.arg_reduce min %x axis = 2 select_last_index : (tensor<2x3x4xf32>) -> tensor<2x3xi64>
  return %a, %b : tensor<2x1x4xi64>, tensor<2x3xi64>
}

// -----

// Tests that layer_norm takes optional scale and bias and yields its f32
// statistics with the normalised axes kept as 1.
// CHECK-LABEL: func.func @layer_norm
// CHECK:         %{{.+}}, %{{.+}}, %{{.+}} = graph.layer_norm %{{.+}} scale %{{.+}} bias %{{.+}} axis = 2 : (tensor<2x3x8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x1xf32>, tensor<2x3x1xf32>)
// CHECK:         graph.layer_norm %{{.+}} axis = 1 epsilon = 1.000000e-01 : (tensor<2x3x8xbf16>) -> (tensor<2x3x8xbf16>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
func.func @layer_norm(%x: tensor<2x3x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>, %h: tensor<2x3x8xbf16>) -> (tensor<2x3x8xf32>, tensor<2x3x8xbf16>) {
  %y, %m, %r = graph.layer_norm %x scale %g bias %b axis = 2 : (tensor<2x3x8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x1xf32>, tensor<2x3x1xf32>)
  %z, %m2, %r2 = graph.layer_norm %h axis = 1 epsilon = 0.1 : (tensor<2x3x8xbf16>) -> (tensor<2x3x8xbf16>, tensor<2x1x1xf32>, tensor<2x1x1xf32>)
  return %y, %z : tensor<2x3x8xf32>, tensor<2x3x8xbf16>
}

// -----

// Tests instance_norm and gelu.
// CHECK-LABEL: func.func @instance_norm_gelu
// CHECK:         %[[N:.+]] = graph.instance_norm %{{.+}}, %{{.+}}, %{{.+}} epsilon = 0.00999999977 : (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x5xf32>
// CHECK:         %[[G:.+]] = graph.gelu %[[N]] : (tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
// CHECK:         graph.gelu %[[G]] tanh : (tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
func.func @instance_norm_gelu(%x: tensor<2x3x4x5xf32>, %s: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<2x3x4x5xf32> {
  %n = graph.instance_norm %x, %s, %b epsilon = 0.01 : (tensor<2x3x4x5xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x4x5xf32>
  %g = graph.gelu %n : (tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  %t = graph.gelu %g tanh : (tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
  return %t : tensor<2x3x4x5xf32>
}

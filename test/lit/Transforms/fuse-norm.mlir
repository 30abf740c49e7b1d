// RUN: trellis-opt %s --split-input-file --trellis-fuse-norm | FileCheck %s

// Tests that nn.LayerNorm as torch.onnx.export spells it before opset 17
// (mean, sub, pow 2, mean, add eps, sqrt, div, mul gamma, add beta) becomes
// one layer_norm with scale and bias.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME:    (%[[X:.+]]: tensor<4x8x16xf32>, %[[G:.+]]: tensor<16xf32>, %[[B:.+]]: tensor<16xf32>)
// CHECK-NEXT:    %[[Y:.+]], %{{.+}}, %{{.+}} = graph.layer_norm %[[X]] scale %[[G]] bias %[[B]] axis = 2 :
// CHECK-NEXT:    return %[[Y]]
func.func @layer_norm(%x: tensor<4x8x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<4x8x16xf32> {
  %0 = graph.reduce mean %x axes = [2] keepdims : (tensor<4x8x16xf32>) -> tensor<4x8x1xf32>
  %1 = graph.binary sub %x, %0 : (tensor<4x8x16xf32>, tensor<4x8x1xf32>) -> tensor<4x8x16xf32>
  %2 = graph.constant dense<2.0> : tensor<f32>
  %3 = graph.binary pow %1, %2 : (tensor<4x8x16xf32>, tensor<f32>) -> tensor<4x8x16xf32>
  %4 = graph.reduce mean %3 axes = [2] keepdims : (tensor<4x8x16xf32>) -> tensor<4x8x1xf32>
  %5 = graph.constant dense<1.0e-5> : tensor<f32>
  %6 = graph.add %4, %5 : (tensor<4x8x1xf32>, tensor<f32>) -> tensor<4x8x1xf32>
  %7 = graph.unary sqrt %6 : (tensor<4x8x1xf32>) -> tensor<4x8x1xf32>
  %8 = graph.binary div %1, %7 : (tensor<4x8x16xf32>, tensor<4x8x1xf32>) -> tensor<4x8x16xf32>
  %9 = graph.binary mul %8, %g : (tensor<4x8x16xf32>, tensor<16xf32>) -> tensor<4x8x16xf32>
  %10 = graph.add %9, %b : (tensor<4x8x16xf32>, tensor<16xf32>) -> tensor<4x8x16xf32>
  return %10 : tensor<4x8x16xf32>
}

// -----

// Tests the form with d * d, a product with the reciprocal, over the last
// two axes, without scale and bias.
// CHECK-LABEL: func.func @layer_norm_reciprocal
// CHECK-NEXT:    %[[Y:.+]], %{{.+}}, %{{.+}} = graph.layer_norm %{{.+}} axis = 1 epsilon = 1.000000e-03 : (tensor<2x3x4xf32>)
// CHECK-NEXT:    return %[[Y]]
func.func @layer_norm_reciprocal(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = graph.reduce mean %x axes = [1, 2] keepdims : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
  %1 = graph.binary sub %x, %0 : (tensor<2x3x4xf32>, tensor<2x1x1xf32>) -> tensor<2x3x4xf32>
  %3 = graph.binary mul %1, %1 : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %4 = graph.reduce mean %3 axes = [1, 2] keepdims : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
  %5 = graph.constant dense<1.0e-3> : tensor<1xf32>
  %6 = graph.add %5, %4 : (tensor<1xf32>, tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %7 = graph.unary sqrt %6 : (tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %r = graph.unary reciprocal %7 : (tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  %8 = graph.binary mul %r, %1 : (tensor<2x1x1xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %8 : tensor<2x3x4xf32>
}

// -----

// Tests that statistics over leading axes, or a variance of something else,
// are not a layer norm.
// CHECK-LABEL: func.func @not_layer_norm
// CHECK-NOT:     graph.layer_norm
func.func @not_layer_norm(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = graph.reduce mean %x axes = [0] keepdims : (tensor<2x3xf32>) -> tensor<1x3xf32>
  %1 = graph.binary sub %x, %0 : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %3 = graph.binary mul %1, %1 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = graph.reduce mean %3 axes = [0] keepdims : (tensor<2x3xf32>) -> tensor<1x3xf32>
  %5 = graph.constant dense<1.0e-3> : tensor<f32>
  %6 = graph.add %4, %5 : (tensor<1x3xf32>, tensor<f32>) -> tensor<1x3xf32>
  %7 = graph.unary sqrt %6 : (tensor<1x3xf32>) -> tensor<1x3xf32>
  %8 = graph.binary div %1, %7 : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  return %8 : tensor<2x3xf32>
}

// -----

// Tests Erf-GELU as torch exports it: x / sqrt(2), erf, + 1, * x, * 0.5.
// CHECK-LABEL: func.func @gelu_erf
// CHECK-SAME:    (%[[X:.+]]: tensor<4x8xf32>)
// CHECK-NEXT:    %[[G:.+]] = graph.gelu %[[X]] : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    return %[[G]]
func.func @gelu_erf(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %c = graph.constant dense<1.41421354> : tensor<f32>
  %0 = graph.binary div %x, %c : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %1 = graph.unary erf %0 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %2 = graph.add %1, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %3 = graph.binary mul %x, %2 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %4 = graph.binary mul %3, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  return %4 : tensor<4x8xf32>
}

// -----

// Tests Erf-GELU with the factors in another order: (0.5 * x) * (1 + erf(x * 0.7071)).
// CHECK-LABEL: func.func @gelu_erf_reordered
// CHECK-NEXT:    %[[G:.+]] = graph.gelu %{{.+}} : (tensor<8xf32>) -> tensor<8xf32>
// CHECK-NEXT:    return %[[G]]
func.func @gelu_erf_reordered(%x: tensor<8xf32>) -> tensor<8xf32> {
  %c = graph.constant dense<0.707106769> : tensor<f32>
  %0 = graph.binary mul %c, %x : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %1 = graph.unary erf %0 : (tensor<8xf32>) -> tensor<8xf32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %2 = graph.add %one, %1 : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %h = graph.binary mul %half, %x : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %4 = graph.binary mul %h, %2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %4 : tensor<8xf32>
}

// -----

// Tests tanh-GELU as torch exports it: x * x * x, * 0.044715, + x,
// * sqrt(2/pi), tanh, 1 +, x *, 0.5 *.
// CHECK-LABEL: func.func @gelu_tanh
// CHECK-SAME:    (%[[X:.+]]: tensor<4x8xf32>)
// CHECK-NEXT:    %[[G:.+]] = graph.gelu %[[X]] tanh : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT:    return %[[G]]
func.func @gelu_tanh(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = graph.binary mul %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %1 = graph.binary mul %x, %0 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %k = graph.constant dense<4.471500e-02> : tensor<f32>
  %2 = graph.binary mul %k, %1 : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %3 = graph.add %x, %2 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = graph.constant dense<0.797884583> : tensor<f32>
  %4 = graph.binary mul %b, %3 : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %5 = graph.unary tanh %4 : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %6 = graph.add %one, %5 : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %7 = graph.binary mul %x, %6 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %half = graph.constant dense<0.5> : tensor<f32>
  %8 = graph.binary mul %half, %7 : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %8 : tensor<4x8xf32>
}

// -----

// Tests that a wrong constant (0.6 instead of 0.5) is not a GELU.
// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT:     graph.gelu
func.func @not_gelu(%x: tensor<8xf32>) -> tensor<8xf32> {
  %c = graph.constant dense<1.41421354> : tensor<f32>
  %0 = graph.binary div %x, %c : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %1 = graph.unary erf %0 : (tensor<8xf32>) -> tensor<8xf32>
  %one = graph.constant dense<1.0> : tensor<f32>
  %2 = graph.add %1, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %3 = graph.binary mul %x, %2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %half = graph.constant dense<0.6> : tensor<f32>
  %4 = graph.binary mul %3, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %4 : tensor<8xf32>
}

// -----

// Tests softmax and log-softmax spelled out (the ONNX function bodies of
// Softmax and LogSoftmax), and exp / sum without the max shift.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME:    (%[[X:.+]]: tensor<3x4x5xf32>)
// CHECK-DAG:     %[[S:.+]] = graph.softmax %[[X]] axes = [1] : (tensor<3x4x5xf32>) -> tensor<3x4x5xf32>
// CHECK-DAG:     %[[L:.+]] = graph.softmax %[[X]] axes = [1] log : (tensor<3x4x5xf32>) -> tensor<3x4x5xf32>
// CHECK-DAG:     %[[U:.+]] = graph.softmax %[[X]] axes = [2] : (tensor<3x4x5xf32>) -> tensor<3x4x5xf32>
// CHECK:         return %[[S]], %[[L]], %[[U]]
func.func @softmax(%x: tensor<3x4x5xf32>) -> (tensor<3x4x5xf32>, tensor<3x4x5xf32>, tensor<3x4x5xf32>) {
  %m = graph.reduce max %x axes = [1] keepdims : (tensor<3x4x5xf32>) -> tensor<3x1x5xf32>
  %d = graph.binary sub %x, %m : (tensor<3x4x5xf32>, tensor<3x1x5xf32>) -> tensor<3x4x5xf32>
  %e = graph.unary exp %d : (tensor<3x4x5xf32>) -> tensor<3x4x5xf32>
  %s = graph.reduce sum %e axes = [1] keepdims : (tensor<3x4x5xf32>) -> tensor<3x1x5xf32>
  %y = graph.binary div %e, %s : (tensor<3x4x5xf32>, tensor<3x1x5xf32>) -> tensor<3x4x5xf32>
  %ls = graph.unary log %s : (tensor<3x1x5xf32>) -> tensor<3x1x5xf32>
  %l = graph.binary sub %d, %ls : (tensor<3x4x5xf32>, tensor<3x1x5xf32>) -> tensor<3x4x5xf32>
  %e2 = graph.unary exp %x : (tensor<3x4x5xf32>) -> tensor<3x4x5xf32>
  %s2 = graph.reduce sum %e2 axes = [2] keepdims : (tensor<3x4x5xf32>) -> tensor<3x4x1xf32>
  %u = graph.binary div %e2, %s2 : (tensor<3x4x5xf32>, tensor<3x4x1xf32>) -> tensor<3x4x5xf32>
  return %y, %l, %u : tensor<3x4x5xf32>, tensor<3x4x5xf32>, tensor<3x4x5xf32>
}

// -----

// Tests that a sum over other axes than the max's is a softmax of the
// shifted input, not of x.
// CHECK-LABEL: func.func @softmax_mixed_axes
// CHECK-SAME:    (%[[X:.+]]: tensor<3x4xf32>)
// CHECK:         %[[M:.+]] = graph.reduce  max %[[X]] axes = [1]
// CHECK:         %[[D:.+]] = graph.binary  sub %[[X]], %[[M]]
// CHECK:         graph.softmax %[[D]] axes = [0] : (tensor<3x4xf32>) -> tensor<3x4xf32>
func.func @softmax_mixed_axes(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %m = graph.reduce max %x axes = [1] keepdims : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %d = graph.binary sub %x, %m : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %e = graph.unary exp %d : (tensor<3x4xf32>) -> tensor<3x4xf32>
  %s = graph.reduce sum %e axes = [0] keepdims : (tensor<3x4xf32>) -> tensor<1x4xf32>
  %y = graph.binary div %e, %s : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// RUN: trellis-opt %s --split-input-file --trellis-fuse-attention | FileCheck %s

// Tests that GPT-2's chain (q @ k^T, * scale, masked_fill with a causal
// constant condition, softmax, @ v) becomes one causal attention, K^T's
// transpose folded into K's layout (perm [0, 2, 3, 1] then swap -> [0, 2, 1, 3]).
// CHECK-LABEL: func.func @gpt2_causal
// CHECK-SAME:    (%[[Q:.+]]: tensor<1x2x4x8xf32>, %[[KR:.+]]: tensor<1x4x2x8xf32>, %[[V:.+]]: tensor<1x2x4x8xf32>)
// CHECK:         %[[K:.+]] = graph.transpose %[[KR]] {perm = array<i64: 0, 2, 1, 3>}
// CHECK-NEXT:    %[[O:.+]] = graph.attention %[[Q]], %[[K]], %[[V]] scale = 0.353553385 causal :
// CHECK-SAME:      (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
// CHECK-NEXT:    return %[[O]]
func.func @gpt2_causal(%q: tensor<1x2x4x8xf32>, %kr: tensor<1x4x2x8xf32>, %v: tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32> {
  %kt = graph.transpose %kr {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x4x2x8xf32>) -> tensor<1x2x8x4xf32>
  %s = graph.matmul %q, %kt : (tensor<1x2x4x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x4x4xf32>
  %c = graph.constant dense<0.353553385> : tensor<f32>
  %ss = graph.binary mul %s, %c : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %cond = graph.constant dense<[[[[false, true, true, true], [false, false, true, true], [false, false, false, true], [false, false, false, false]]]]> : tensor<1x1x4x4xi1>
  %ninf = graph.constant dense<0xFF800000> : tensor<f32>
  %m = graph.select %cond, %ninf, %ss : (tensor<1x1x4x4xi1>, tensor<f32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = graph.softmax %m axes = [3] : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %o = graph.matmul %p, %v : (tensor<1x2x4x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x4x8xf32>
  return %o : tensor<1x2x4x8xf32>
}

// -----

// Tests that nn.MultiheadAttention's chain (q / sqrt(d) before the product,
// K^T a transpose [1, 2, 0] of [S, H, D]) fuses with scale 1/8 and no mask.
// CHECK-LABEL: func.func @prescaled_q
// CHECK-SAME:    (%[[Q:.+]]: tensor<4x6x64xf32>, %[[KR:.+]]: tensor<6x4x64xf32>, %[[V:.+]]: tensor<4x6x64xf32>)
// CHECK:         %[[K:.+]] = graph.transpose %[[KR]] {perm = array<i64: 1, 0, 2>}
// CHECK-NEXT:    %[[O:.+]] = graph.attention %[[Q]], %[[K]], %[[V]] scale = 1.250000e-01 :
// CHECK-NEXT:    return %[[O]]
func.func @prescaled_q(%q: tensor<4x6x64xf32>, %kr: tensor<6x4x64xf32>, %v: tensor<4x6x64xf32>) -> tensor<4x6x64xf32> {
  %c = graph.constant dense<8.0> : tensor<f32>
  %qs = graph.binary div %q, %c : (tensor<4x6x64xf32>, tensor<f32>) -> tensor<4x6x64xf32>
  %kt = graph.transpose %kr {perm = array<i64: 1, 2, 0>} : (tensor<6x4x64xf32>) -> tensor<4x64x6xf32>
  %s = graph.matmul %qs, %kt : (tensor<4x6x64xf32>, tensor<4x64x6xf32>) -> tensor<4x6x6xf32>
  %p = graph.softmax %s axes = [2] : (tensor<4x6x6xf32>) -> tensor<4x6x6xf32>
  %o = graph.matmul %p, %v : (tensor<4x6x6xf32>, tensor<4x6x64xf32>) -> tensor<4x6x64xf32>
  return %o : tensor<4x6x64xf32>
}

// -----

// Tests that an additive mask (a run-time input) becomes the mask operand,
// a division after the product the scale, and a K^T that is no transpose
// gets one.
// CHECK-LABEL: func.func @additive_mask
// CHECK-SAME:    (%[[Q:.+]]: tensor<2x4x8xf32>, %[[KT:.+]]: tensor<2x8x4xf32>, %[[V:.+]]: tensor<2x4x8xf32>, %[[M:.+]]: tensor<2x1x4xf32>)
// CHECK:         %[[K:.+]] = graph.transpose %[[KT]] {perm = array<i64: 0, 2, 1>}
// CHECK-NEXT:    %[[O:.+]] = graph.attention %[[Q]], %[[K]], %[[V]] mask %[[M]] scale = 5.000000e-01 :
// CHECK-NEXT:    return %[[O]]
func.func @additive_mask(%q: tensor<2x4x8xf32>, %kt: tensor<2x8x4xf32>, %v: tensor<2x4x8xf32>, %mask: tensor<2x1x4xf32>) -> tensor<2x4x8xf32> {
  %s = graph.matmul %q, %kt : (tensor<2x4x8xf32>, tensor<2x8x4xf32>) -> tensor<2x4x4xf32>
  %c = graph.constant dense<2.0> : tensor<f32>
  %ss = graph.binary div %s, %c : (tensor<2x4x4xf32>, tensor<f32>) -> tensor<2x4x4xf32>
  %m = graph.add %mask, %ss : (tensor<2x1x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %p = graph.softmax %m axes = [2] : (tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %o = graph.matmul %p, %v : (tensor<2x4x4xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

// Tests that a constant masked_fill condition that is not causal becomes an
// additive 0 / -inf constant mask.
// CHECK-LABEL: func.func @constant_padding_mask
// CHECK:         %[[M:.+]] = graph.constant dense<{{\[}}[0.000000e+00, 0.000000e+00, 0xFF800000]]> : tensor<1x3xf32>
// CHECK:         graph.attention %{{.+}}, %{{.+}}, %{{.+}} mask %[[M]] scale = 1.000000e+00 :
func.func @constant_padding_mask(%q: tensor<3x8xf32>, %kt: tensor<8x3xf32>, %v: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %s = graph.matmul %q, %kt : (tensor<3x8xf32>, tensor<8x3xf32>) -> tensor<3x3xf32>
  %cond = graph.constant dense<[[false, false, true]]> : tensor<1x3xi1>
  %ninf = graph.constant dense<0xFF800000> : tensor<f32>
  %m = graph.select %cond, %ninf, %s : (tensor<1x3xi1>, tensor<f32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  %p = graph.softmax %m axes = [1] : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %o = graph.matmul %p, %v : (tensor<3x3xf32>, tensor<3x8xf32>) -> tensor<3x8xf32>
  return %o : tensor<3x8xf32>
}

// -----

// Tests that a softmax over another axis than the keys' does not fuse.
// CHECK-LABEL: func.func @softmax_wrong_axis
// CHECK-NOT:     graph.attention
// CHECK:         graph.softmax
func.func @softmax_wrong_axis(%q: tensor<2x4x8xf32>, %kt: tensor<2x8x4xf32>, %v: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %s = graph.matmul %q, %kt : (tensor<2x4x8xf32>, tensor<2x8x4xf32>) -> tensor<2x4x4xf32>
  %p = graph.softmax %s axes = [1] : (tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %o = graph.matmul %p, %v : (tensor<2x4x4xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  return %o : tensor<2x4x8xf32>
}

// -----

// Tests that probabilities used elsewhere too (returned) block the fusion.
// CHECK-LABEL: func.func @probs_escape
// CHECK-NOT:     graph.attention
func.func @probs_escape(%q: tensor<4x8xf32>, %kt: tensor<8x4xf32>, %v: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x4xf32>) {
  %s = graph.matmul %q, %kt : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %p = graph.softmax %s axes = [1] : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %o = graph.matmul %p, %v : (tensor<4x4xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %o, %p : tensor<4x8xf32>, tensor<4x4xf32>
}

// -----

// Tests that a masked_fill with a run-time condition, or with a fill that
// does not zero the probability, does not fuse.
// CHECK-LABEL: func.func @where_not_a_mask
// CHECK-NOT:     graph.attention
func.func @where_not_a_mask(%q: tensor<4x8xf32>, %kt: tensor<8x4xf32>, %v: tensor<4x8xf32>, %cond: tensor<4x4xi1>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %s = graph.matmul %q, %kt : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %ninf = graph.constant dense<0xFF800000> : tensor<f32>
  %m = graph.select %cond, %ninf, %s : (tensor<4x4xi1>, tensor<f32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %p = graph.softmax %m axes = [1] : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %o = graph.matmul %p, %v : (tensor<4x4xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %s2 = graph.matmul %q, %kt : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %c = graph.constant dense<[[false, true, true, true], [false, false, true, true], [false, false, false, true], [false, false, false, false]]> : tensor<4x4xi1>
  %minus1 = graph.constant dense<-1.0> : tensor<f32>
  %m2 = graph.select %c, %minus1, %s2 : (tensor<4x4xi1>, tensor<f32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %p2 = graph.softmax %m2 axes = [1] : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %o2 = graph.matmul %p2, %v : (tensor<4x4xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %o, %o2 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Tests that a log-softmax and a non-constant scale do not fuse.
// CHECK-LABEL: func.func @log_softmax_and_runtime_scale
// CHECK-NOT:     graph.attention
func.func @log_softmax_and_runtime_scale(%q: tensor<4x8xf32>, %kt: tensor<8x4xf32>, %v: tensor<4x8xf32>, %scale: tensor<f32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %s = graph.matmul %q, %kt : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %p = graph.softmax %s axes = [1] log : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %o = graph.matmul %p, %v : (tensor<4x4xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %s2 = graph.matmul %q, %kt : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %ss = graph.binary mul %s2, %scale : (tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
  %p2 = graph.softmax %ss axes = [1] : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %o2 = graph.matmul %p2, %v : (tensor<4x4xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %o, %o2 : tensor<4x8xf32>, tensor<4x8xf32>
}

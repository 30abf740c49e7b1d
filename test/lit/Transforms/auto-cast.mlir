// RUN: trellis-opt %s --split-input-file --trellis-auto-cast=mode=matmult | FileCheck %s --check-prefix=MM
// RUN: trellis-opt %s --split-input-file --trellis-auto-cast="mode=matmult type=fp8_e4m3" | FileCheck %s --check-prefix=FP8
// RUN: trellis-opt %s --split-input-file --trellis-auto-cast="mode=all type=fp16" | FileCheck %s --check-prefix=ALL
// RUN: trellis-opt %s --split-input-file --trellis-auto-cast=mode=none | FileCheck %s --check-prefix=NONE
// The options round-trip through the textual pipeline.
// RUN: trellis-opt %s --split-input-file --trellis-auto-cast="mode=all type=fp16" --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=PIPE
// PIPE: trellis-auto-cast{mode=all type=fp16}

// Tests that a constant weight is converted at compile time with
// round-to-nearest-even (bf16 steps 2^-7 near 1: 1 + 2^-8 is a tie, to even 1.0; 1 + 3 * 2^-8 a
// tie, to even 1 + 2^-6; 0.3 is 0.30078125), a run-time activation gets a graph.cast, and
// the bias and the result stay f32. fp8_e4m3 saturates 1000 to 448 and
// rounds 0.3 to 0.3125 (its neighbours: 0.28125, 0.3125).
// MM-LABEL: func.func @linear
// MM-SAME:    (%[[X:.+]]: tensor<2x3xf32>, %[[B:.+]]: tensor<2xf32>)
// MM-DAG:     %[[W:.+]] = graph.constant dense<{{\[}}[1.000000e+00, 1.015630e+00], [1.000000e+03, 3.007810e-01], [-2.000000e+00, 0.000000e+00]]> : tensor<3x2xbf16>
// MM-DAG:     %[[XC:.+]] = graph.cast %[[X]] : (tensor<2x3xf32>) -> tensor<2x3xbf16>
// MM:         %[[Y:.+]] = graph.linear %[[XC]], %[[W]], %[[B]] : (tensor<2x3xbf16>, tensor<3x2xbf16>, tensor<2xf32>) -> tensor<2x2xf32>
// MM-NEXT:    return %[[Y]]
// FP8-LABEL: func.func @linear
// FP8-DAG:   graph.constant dense<{{\[}}[1.000000e+00, 1.000000e+00], [4.480000e+02, 3.125000e-01], [-2.000000e+00, 0.000000e+00]]> : tensor<3x2xf8E4M3FN>
// FP8-DAG:   graph.cast %{{.+}} : (tensor<2x3xf32>) -> tensor<2x3xf8E4M3FN>
// FP8:       graph.linear {{.+}} -> tensor<2x2xf32>
// NONE-LABEL: func.func @linear
// NONE-NOT:   bf16
// NONE:       graph.linear {{.+}} : (tensor<2x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
func.func @linear(%x: tensor<2x3xf32>, %b: tensor<2xf32>) -> tensor<2x2xf32> {
  %w = graph.constant dense<[[1.00390625, 1.01171875], [1000.0, 0.3], [-2.0, 0.0]]> : tensor<3x2xf32>
  %y = graph.linear %x, %w, %b : (tensor<2x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Tests that matmult casts conv's x and w and attention's q, k and v, but
// not the bias, the mask or anything else; with all (fp16), the relu
// computes in fp16 too and the function result is cast back to f32.
// MM-LABEL: func.func @conv_attention
// MM:         %[[X:.+]] = graph.cast %arg0 : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xbf16>
// MM:         graph.conv2d %[[X]], %{{.+}}, %{{.+}} {{.+}} : (tensor<1x2x4x4xbf16>, tensor<2x2x1x1xbf16>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
// MM:         graph.relu %{{.+}} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
// MM:         graph.attention %{{.+}}, %{{.+}}, %{{.+}} mask %arg1 scale = 5.000000e-01 : (tensor<2x4x4xbf16>, tensor<2x4x4xbf16>, tensor<2x4x4xbf16>, tensor<4xf32>) -> tensor<2x4x4xf32>
// ALL-LABEL: func.func @conv_attention
// ALL:         graph.conv2d {{.+}} : (tensor<1x2x4x4xf16>, tensor<2x2x1x1xf16>, tensor<2xf16>) -> tensor<1x2x4x4xf16>
// ALL:         graph.relu %{{.+}} : (tensor<1x2x4x4xf16>) -> tensor<1x2x4x4xf16>
// ALL:         graph.reshape %{{.+}} : (tensor<1x2x4x4xf16>) -> tensor<2x4x4xf16>
// ALL:         %[[O:.+]] = graph.attention {{.+}} : (tensor<2x4x4xf16>, tensor<2x4x4xf16>, tensor<2x4x4xf16>, tensor<4xf16>) -> tensor<2x4x4xf16>
// ALL:         %[[R:.+]] = graph.cast %[[O]] : (tensor<2x4x4xf16>) -> tensor<2x4x4xf32>
// ALL:         return %[[R]] : tensor<2x4x4xf32>
func.func @conv_attention(%x: tensor<1x2x4x4xf32>, %mask: tensor<4xf32>) -> tensor<2x4x4xf32> {
  %w = graph.constant dense<1.0> : tensor<2x2x1x1xf32>
  %b = graph.constant dense<0.5> : tensor<2xf32>
  %c = graph.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %r = graph.relu %c : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %q = graph.reshape %r : (tensor<1x2x4x4xf32>) -> tensor<2x4x4xf32>
  %o = graph.attention %q, %q, %q mask %mask scale = 0.5 : (tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<4xf32>) -> tensor<2x4x4xf32>
  return %o : tensor<2x4x4xf32>
}

// -----

// Tests that a product whose f32 result only feeds the next product's cast
// writes bf16 itself (its f32 bias stays f32), while one whose result is
// also returned keeps f32 and gets a cast; fp8 results are never narrowed.
// MM-LABEL: func.func @narrow_results
// MM:         %[[C1:.+]] = graph.conv2d {{.+}} : (tensor<1x2x4x4xbf16>, tensor<2x2x1x1xbf16>, tensor<2xf32>) -> tensor<1x2x4x4xbf16>
// MM-NEXT:    %[[C2:.+]] = graph.conv2d %[[C1]], {{.+}} -> tensor<1x2x4x4xf32>
// MM-NEXT:    %[[N:.+]] = graph.cast %[[C2]] : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xbf16>
// MM-NEXT:    %[[C3:.+]] = graph.conv2d %[[N]], {{.+}} -> tensor<1x2x4x4xf32>
// MM-NEXT:    return %[[C2]], %[[C3]]
// FP8-LABEL: func.func @narrow_results
// FP8:         graph.conv2d {{.+}} -> tensor<1x2x4x4xf32>
// FP8-NEXT:    graph.cast {{.+}} -> tensor<1x2x4x4xf8E4M3FN>
func.func @narrow_results(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = graph.constant dense<1.0> : tensor<2x2x1x1xf32>
  %b = graph.constant dense<0.5> : tensor<2xf32>
  %c1 = graph.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, activation = #graph.activation<relu>} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %c2 = graph.conv2d %c1, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %c3 = graph.conv2d %c2, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %c2, %c3 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// Tests that the cast of a projection split into heads moves up through the
// reshape and the transpose (they then move bf16) onto the linear, which
// writes bf16, and that the attention's result, merged back for the next
// projection, is narrowed the same way; a reshape with another user keeps
// its cast.
// MM-LABEL: func.func @heads
// MM:         %[[L:.+]] = graph.linear {{.+}} -> tensor<4x8xbf16>
// MM-NEXT:    %[[R:.+]] = graph.reshape %[[L]] : (tensor<4x8xbf16>) -> tensor<4x2x4xbf16>
// MM-NEXT:    %[[T:.+]] = graph.transpose %[[R]] {{.+}} : (tensor<4x2x4xbf16>) -> tensor<2x4x4xbf16>
// MM-NEXT:    %[[A:.+]] = graph.attention %[[T]], %[[T]], %[[T]] {{.+}} -> tensor<2x4x4xbf16>
// MM-NEXT:    %[[T2:.+]] = graph.transpose %[[A]] {{.+}} : (tensor<2x4x4xbf16>) -> tensor<4x2x4xbf16>
// MM-NEXT:    %[[R2:.+]] = graph.reshape %[[T2]] : (tensor<4x2x4xbf16>) -> tensor<4x8xbf16>
// MM-NEXT:    %[[O:.+]] = graph.linear %[[R2]], {{.+}} -> tensor<4x8xf32>
// MM-NEXT:    %[[R3:.+]] = graph.reshape %[[O]] : (tensor<4x8xf32>) -> tensor<4x2x4xf32>
// MM-NEXT:    %[[C3:.+]] = graph.cast %[[R3]] : (tensor<4x2x4xf32>) -> tensor<4x2x4xbf16>
// MM:         return
// FP8-LABEL: func.func @heads
// FP8-NOT:     graph.linear {{.+}} -> tensor<4x8xf8E4M3FN>
// FP8:         graph.cast {{.+}} : (tensor<2x4x4xf32>) -> tensor<2x4x4xf8E4M3FN>
func.func @heads(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x2x4xf32>, tensor<4x2x4xf32>) {
  %l = graph.linear %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %r = graph.reshape %l : (tensor<4x8xf32>) -> tensor<4x2x4xf32>
  %t = graph.transpose %r {perm = array<i64: 1, 0, 2>} : (tensor<4x2x4xf32>) -> tensor<2x4x4xf32>
  %a = graph.attention %t, %t, %t scale = 0.5 : (tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %t2 = graph.transpose %a {perm = array<i64: 1, 0, 2>} : (tensor<2x4x4xf32>) -> tensor<4x2x4xf32>
  %r2 = graph.reshape %t2 : (tensor<4x2x4xf32>) -> tensor<4x8xf32>
  %o = graph.linear %r2, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %r3 = graph.reshape %o : (tensor<4x8xf32>) -> tensor<4x2x4xf32>
  %a3 = graph.attention %r3, %r3, %r3 scale = 0.5 : (tensor<4x2x4xf32>, tensor<4x2x4xf32>, tensor<4x2x4xf32>) -> tensor<4x2x4xf32>
  return %r3, %a3 : tensor<4x2x4xf32>, tensor<4x2x4xf32>
}

// -----

// Tests a fused QKV projection split by slices into q, k and v heads: the
// three casts move up through transpose, reshape and slice, become one
// cast of the projection, which then writes bf16 itself; the slices move
// bf16.
// MM-LABEL: func.func @qkv_split
// MM:         %[[L:.+]] = graph.linear {{.+}} -> tensor<4x24xbf16>
// MM-NEXT:    graph.slice %[[L]] {{.+}} : (tensor<4x24xbf16>) -> tensor<4x8xbf16>
// MM-NEXT:    graph.slice %[[L]] {{.+}} : (tensor<4x24xbf16>) -> tensor<4x8xbf16>
// MM-NEXT:    graph.slice %[[L]] {{.+}} : (tensor<4x24xbf16>) -> tensor<4x8xbf16>
// MM-NOT:     graph.cast
// MM:         graph.attention {{.+}} -> tensor<2x4x4xf32>
func.func @qkv_split(%x: tensor<4x8xf32>, %w: tensor<8x24xf32>) -> tensor<2x4x4xf32> {
  %l = graph.linear %x, %w : (tensor<4x8xf32>, tensor<8x24xf32>) -> tensor<4x24xf32>
  %q = graph.slice %l {starts = array<i64: 0, 0>, steps = array<i64: 1, 1>} : (tensor<4x24xf32>) -> tensor<4x8xf32>
  %k = graph.slice %l {starts = array<i64: 0, 8>, steps = array<i64: 1, 1>} : (tensor<4x24xf32>) -> tensor<4x8xf32>
  %v = graph.slice %l {starts = array<i64: 0, 16>, steps = array<i64: 1, 1>} : (tensor<4x24xf32>) -> tensor<4x8xf32>
  %rq = graph.reshape %q : (tensor<4x8xf32>) -> tensor<4x2x4xf32>
  %rk = graph.reshape %k : (tensor<4x8xf32>) -> tensor<4x2x4xf32>
  %rv = graph.reshape %v : (tensor<4x8xf32>) -> tensor<4x2x4xf32>
  %tq = graph.transpose %rq {perm = array<i64: 1, 0, 2>} : (tensor<4x2x4xf32>) -> tensor<2x4x4xf32>
  %tk = graph.transpose %rk {perm = array<i64: 1, 0, 2>} : (tensor<4x2x4xf32>) -> tensor<2x4x4xf32>
  %tv = graph.transpose %rv {perm = array<i64: 1, 0, 2>} : (tensor<4x2x4xf32>) -> tensor<2x4x4xf32>
  %a = graph.attention %tq, %tk, %tv scale = 0.5 : (tensor<2x4x4xf32>, tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  return %a : tensor<2x4x4xf32>
}

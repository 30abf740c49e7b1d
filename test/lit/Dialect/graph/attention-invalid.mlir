// RUN: trellis-opt %s --split-input-file --verify-diagnostics

// Tests that q and k must agree on the head size.
func.func @head_size(%q: tensor<4x8xf32>, %k: tensor<4x6xf32>, %v: tensor<4x8xf32>) {
  // expected-error @+2 {{graph.attention: q and k head sizes differ (8 vs 6)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.attention %q, %k, %v scale = 1.0 : (tensor<4x8xf32>, tensor<4x6xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that k and v must have one sequence length.
func.func @kv_length(%q: tensor<4x8xf32>, %k: tensor<5x8xf32>, %v: tensor<4x8xf32>) {
  // expected-error @+2 {{graph.attention: k and v sequence lengths differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.attention %q, %k, %v scale = 1.0 : (tensor<4x8xf32>, tensor<5x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that the mask must broadcast to the scores [Sq, Sk] = [4, 5].
func.func @mask_shape(%q: tensor<4x8xf32>, %k: tensor<5x8xf32>, %v: tensor<5x8xf32>, %m: tensor<4xf32>) {
  // expected-error @+1 {{mask of type 'tensor<4xf32>' does not broadcast to the scores [4, 5]}}
  %0 = graph.attention %q, %k, %v mask %m scale = 1.0 : (tensor<4x8xf32>, tensor<5x8xf32>, tensor<5x8xf32>, tensor<4xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Tests that an f32 result needs narrow operands: f32 in, f16 out is wrong.
func.func @result_type(%q: tensor<4x8xf32>) {
  // expected-error @+2 {{'graph.attention' op inferred type(s) 'tensor<4x8xf32>' are incompatible with return type(s) of operation 'tensor<4x8xf16>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.attention %q, %q, %q scale = 1.0 : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf16>
  return
}

// -----

// Tests that integer operands are rejected.
func.func @integer(%q: tensor<4x8xi32>) {
  // expected-error @+1 {{needs f32, bf16, f16 or f8E4M3FN operands, got 'i32'}}
  %0 = graph.attention %q, %q, %q scale = 1.0 : (tensor<4x8xi32>, tensor<4x8xi32>, tensor<4x8xi32>) -> tensor<4x8xi32>
  return
}

// -----

// Tests that a matmul's f32 result is allowed for bf16 operands only
// (here f32 operands with a bf16 result are not).
func.func @matmul_narrow_result(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+2 {{'graph.matmul' op inferred type(s) 'tensor<2x4xf32>' are incompatible with return type(s) of operation 'tensor<2x4xbf16>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = graph.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xbf16>
  return
}

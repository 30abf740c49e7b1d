// RUN: trellis-opt %s --split-input-file --verify-diagnostics

// Tests that a matmul with mismatched contraction sizes is rejected.
func.func @matmul_k(%a: tensor<8x16xf32>, %b: tensor<15x4xf32>) {
  // expected-error @+2 {{contraction sizes differ (16 vs 15)}}
  // expected-error @+1 {{failed to infer returned types}}
  %m = graph.matmul %a, %b : (tensor<8x16xf32>, tensor<15x4xf32>) -> tensor<8x4xf32>
  return
}

// -----

// Tests that a result type disagreeing with shape inference is rejected.
func.func @matmul_result(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<8x4xf32>' are incompatible with return type(s) of operation 'tensor<8x5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %m = graph.matmul %a, %b : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x5xf32>
  return
}

// -----

// Tests that add rejects shapes that do not broadcast.
func.func @add_bcast(%a: tensor<3x4xf32>, %b: tensor<5xf32>) {
  // expected-error @+2 {{shapes do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %s = graph.add %a, %b : (tensor<3x4xf32>, tensor<5xf32>) -> tensor<3x4xf32>
  return
}

// -----

// Tests that transpose needs a permutation.
func.func @transpose_perm(%a: tensor<3x4xf32>) {
  // expected-error @+1 {{perm is not a permutation}}
  %t = graph.transpose %a {perm = array<i64: 0, 0>} : (tensor<3x4xf32>) -> tensor<3x3xf32>
  return
}

// -----

// Tests that a linear bias must broadcast to the result.
func.func @linear_bias(%x: tensor<8x16xf32>, %w: tensor<16x4xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{does not broadcast to}}
  %l = graph.linear %x, %w, %b : (tensor<8x16xf32>, tensor<16x4xf32>, tensor<3xf32>) -> tensor<8x4xf32>
  return
}

// -----

// Tests that a linear whose x has rank > 2 takes only a bias along N.
func.func @linear_batched_row_bias(%x: tensor<2x3x16xf32>, %w: tensor<16x4xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+1 {{bias of shape 'tensor<3x4xf32>' varies along M; a rank-3 linear takes [N] or [1, N]}}
  %l = graph.linear %x, %w, %b : (tensor<2x3x16xf32>, tensor<16x4xf32>, tensor<3x4xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

// Tests that graph.binary rejects shapes that do not broadcast.
func.func @binary_bcast(%a: tensor<3x4xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{graph.binary: shapes do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %s = graph.binary mul %a, %b : (tensor<3x4xf32>, tensor<3xf32>) -> tensor<3x4xf32>
  return
}

// -----

// Tests that a parameterised unary function needs its parameters.
func.func @unary_missing_alpha(%a: tensor<3xf32>) {
  // expected-error @+1 {{'leaky_relu' needs alpha}}
  %l = graph.unary leaky_relu %a : (tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

// Tests that a unary function without parameters takes none.
func.func @unary_extra_beta(%a: tensor<3xf32>) {
  // expected-error @+1 {{'elu' takes no beta}}
  %l = graph.unary elu %a {alpha = 1.0 : f32, beta = 0.5 : f32} : (tensor<3xf32>) -> tensor<3xf32>
  return
}

// -----

// Tests that only pow's exponent may have another element type.
func.func @binary_mixed_types(%a: tensor<3xf32>, %b: tensor<3xi32>) {
  // expected-error @+1 {{operand element types differ (only pow may mix them)}}
  %m = graph.binary mul %a, %b : (tensor<3xf32>, tensor<3xi32>) -> tensor<3xf32>
  return
}

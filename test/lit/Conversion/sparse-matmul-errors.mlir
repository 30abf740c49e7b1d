// RUN: trellis-opt %s --split-input-file --convert-graph-to-tile --verify-diagnostics

// Tests that a weight marked sparse that is not (hand-edited IR) is an error.
func.func @not_sparse(%x: tensor<4x8xf32> {trellis.name = "x"}) -> (tensor<4x2xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<1.0> : tensor<8x2xf32>
  // expected-error @+1 {{weight is not 2:4 sparse along K}}
  %y = graph.linear %x, %w {trellis.sparsity = "2:4"} : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Tests that a marked op needs a constant weight.
func.func @not_constant(%x: tensor<4x8xf32> {trellis.name = "x"}, %w: tensor<8x2xf32> {trellis.name = "w"}) -> (tensor<4x2xf32> {trellis.name = "y"}) {
  // expected-error @+1 {{trellis.sparsity needs a constant 2-D float weight}}
  %y = graph.linear %x, %w {trellis.sparsity = "2:4"} : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

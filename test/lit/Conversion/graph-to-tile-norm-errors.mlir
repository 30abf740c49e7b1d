// RUN: trellis-opt %s --split-input-file --convert-graph-to-tile --verify-diagnostics

// Tests that a softmax row longer than a partition holds is a clear error.
func.func @long_row(%x: tensor<2x10000xf32>) -> tensor<2x10000xf32> {
  // expected-error @+1 {{has rows of 10000 elements; rows of more than 8192 elements do not fit a partition yet}}
  %s = graph.softmax %x axes = [1] : (tensor<2x10000xf32>) -> tensor<2x10000xf32>
  return %s : tensor<2x10000xf32>
}

func.func @main(%x: tensor<4x8xf32> {trellis.name = "x"}) -> (tensor<4x2xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<[[1.0, -2.0], [5.0, 0.5], [0.25, -1.0], [1.0, 3.0], [2.0, 0.0], [-0.5, 4.0], [0.0, 1.5], [3.0, -0.75]]> : tensor<8x2xf32>
  %y = graph.linear %x, %w : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32> loc("fc")
  return %y : tensor<4x2xf32>
}

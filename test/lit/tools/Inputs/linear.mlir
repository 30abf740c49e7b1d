func.func @main(%x: tensor<8x16xf32> {trellis.name = "x"}) -> (tensor<8x4xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<0.5> : tensor<16x4xf32>
  %b = graph.constant dense<[1.0, -2.0, 3.0, -4.0]> : tensor<4xf32>
  %m = graph.matmul %x, %w : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
  %s = graph.add %m, %b : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %r = graph.relu %s : (tensor<8x4xf32>) -> tensor<8x4xf32>
  return %r : tensor<8x4xf32>
}

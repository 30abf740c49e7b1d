func.func @main(%x: tensor<3x4x5xf32> {trellis.name = "x"}) -> (tensor<3x4x5xf32> {trellis.name = "out:0/y"}) {
  %r = graph.relu %x : (tensor<3x4x5xf32>) -> tensor<3x4x5xf32>
  return %r : tensor<3x4x5xf32>
}

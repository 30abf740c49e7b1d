// RUN: trellis-opt %s --split-input-file --verify-diagnostics

// Tests that softmax axes must be sorted and distinct.
func.func @softmax_unsorted(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{graph.softmax: axes must be sorted and distinct}}
  %s = graph.softmax %x axes = [1, 0] : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

// Tests that softmax rejects an axis beyond the rank.
func.func @softmax_range(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{graph.softmax: axis 2 is out of range for rank 2}}
  %s = graph.softmax %x axes = [2] : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

// Tests that softmax needs a float input.
func.func @softmax_int(%x: tensor<3x4xi32>) {
  // expected-error @+1 {{needs a float input}}
  %s = graph.softmax %x axes = [1] : (tensor<3x4xi32>) -> tensor<3x4xi32>
  return
}

// -----

// Tests that a reduction needs at least one axis.
func.func @reduce_empty(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{graph.reduce: axes must not be empty}}
  // expected-error @+1 {{failed to infer returned types}}
  %s = graph.reduce sum %x axes = [] : (tensor<3x4xf32>) -> tensor<3x4xf32>
  return
}

// -----

// Tests that a reduction result type must drop the reduced axes unless
// keepdims.
func.func @reduce_result(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<3xf32>' are incompatible with return type(s) of operation 'tensor<3x1xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %s = graph.reduce mean %x axes = [1] : (tensor<3x4xf32>) -> tensor<3x1xf32>
  return
}

// -----

// Tests that arg_reduce only finds maxima and minima.
func.func @arg_reduce_kind(%x: tensor<3x4xf32>) {
  // expected-error @+1 {{kind must be max or min, got sum}}
  %s = graph.arg_reduce sum %x axis = 1 : (tensor<3x4xf32>) -> tensor<3xi64>
  return
}

// -----

// Tests that arg_reduce yields i64 indices.
func.func @arg_reduce_type(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<3xi64>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %s = graph.arg_reduce max %x axis = 1 : (tensor<3x4xf32>) -> tensor<3xf32>
  return
}

// -----

// Tests that arg_reduce rejects an axis beyond the rank.
func.func @arg_reduce_axis(%x: tensor<3x4xf32>) {
  // expected-error @+2 {{graph.arg_reduce: axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %s = graph.arg_reduce max %x axis = 2 : (tensor<3x4xf32>) -> tensor<3xi64>
  return
}

// -----

// Tests that a layer_norm scale must broadcast to the normalised axes.
func.func @layer_norm_scale(%x: tensor<2x3x8xf32>, %g: tensor<3x1xf32>) {
  // expected-error @+1 {{scale of type 'tensor<3x1xf32>' does not broadcast to the normalised axes [8]}}
  %y, %m, %r = graph.layer_norm %x scale %g axis = 2 : (tensor<2x3x8xf32>, tensor<3x1xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x1xf32>, tensor<2x3x1xf32>)
  return
}

// -----

// Tests that layer_norm rejects an axis beyond the rank.
func.func @layer_norm_axis(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{graph.layer_norm: axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %y, %m, %r = graph.layer_norm %x axis = 2 : (tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>)
  return
}

// -----

// Tests that instance_norm scale and bias hold one value per channel.
func.func @instance_norm_scale(%x: tensor<2x3x4xf32>, %s: tensor<4xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{scale must be a 3-element vector of 'f32', got 'tensor<4xf32>'}}
  %y = graph.instance_norm %x, %s, %b : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<3xf32>) -> tensor<2x3x4xf32>
  return
}

// -----

// Tests that instance_norm needs spatial axes.
func.func @instance_norm_rank(%x: tensor<2x3xf32>, %s: tensor<3xf32>) {
  // expected-error @+1 {{input must have rank >= 3}}
  %y = graph.instance_norm %x, %s, %s : (tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return
}

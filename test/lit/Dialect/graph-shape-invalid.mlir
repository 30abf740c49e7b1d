// RUN: trellis-opt %s --split-input-file --verify-diagnostics

// Tests that a reshape may not change the element count.
func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{has 6 elements in but 8 out}}
  %r = graph.reshape %x : (tensor<2x3xf32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that expand only broadcasts to its result shape.
func.func @expand_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{does not broadcast to 'tensor<4x3xf32>'}}
  %e = graph.expand %x : (tensor<2x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

// Tests that a slice reads only inside its operand.
func.func @slice_bounds(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{dimension 1 reads elements 1 to -1 of 3}}
  %s = graph.slice %x {starts = array<i64: 0, 1>, steps = array<i64: 1, -1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that a slice step may not be zero.
func.func @slice_step(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{step of dimension 0 is zero}}
  %s = graph.slice %x {starts = array<i64: 0, 0>, steps = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<1x3xf32>
  return
}

// -----

// Tests that concat operands agree outside the axis.
func.func @concat_dims(%x: tensor<2x3xf32>, %y: tensor<2x4xf32>) {
  // expected-error @+2 {{operands differ in dimension 1 (3 vs 4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %c = graph.concat %x, %y {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

// Tests that the gather axis must exist.
func.func @gather_axis(%x: tensor<2x3xf32>, %i: tensor<2xi64>) {
  // expected-error @+2 {{axis 2 is out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %g = graph.gather %x, %i {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  return
}

// -----

// Tests that pads are not negative (the importer turns cropping into a slice).
func.func @pad_negative(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{pads must not be negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %p = graph.pad %x {low = array<i64: -1, 0>, high = array<i64: 0, 0>, value = 0.0 : f64} : (tensor<2x3xf32>) -> tensor<1x3xf32>
  return
}

// -----

// Tests that a cast keeps the shape.
func.func @cast_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{changes the shape}}
  %c = graph.cast %x : (tensor<2x3xf32>) -> tensor<3x2xi32>
  return
}

// -----

// Tests that comparison operands have one element type.
func.func @compare_types(%x: tensor<3xf32>, %y: tensor<3xi32>) {
  // expected-error @+2 {{operand element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %m = graph.compare eq %x, %y : (tensor<3xf32>, tensor<3xi32>) -> tensor<3xi1>
  return
}

// -----

// Tests that logical ops take booleans only.
func.func @logical_bool(%x: tensor<3xf32>) {
  // expected-error @+1 {{must be statically shaped tensor of 1-bit signless integer values}}
  %m = graph.logical and %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  return
}

// -----

// Tests that select's operands broadcast together.
func.func @select_bcast(%c: tensor<4xi1>, %x: tensor<3xf32>) {
  // expected-error @+2 {{shapes do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %s = graph.select %c, %x, %x : (tensor<4xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return
}

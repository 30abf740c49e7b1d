// Tests that a kernel which cannot implement an op is an error at the op,
// with the kernel's own message and line as a note.
// RUN: not trellis-opt %s --split-input-file --trellis-bind-kernels="kernel=softmax=%S/../../../kernels/softmax.nki,layer_norm=%S/../../../kernels/layernorm.nki" 2>&1 | FileCheck %s
// RUN: not trellis-opt %s --trellis-bind-kernels="kernel=softmax" 2>&1 | FileCheck %s --check-prefix=SYNTAX
// RUN: not trellis-opt %s --trellis-bind-kernels="kernel=softmax=%t.missing.nki" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not trellis-opt %s --trellis-bind-kernels="kernel-lib=%t.nodir" 2>&1 | FileCheck %s --check-prefix=NODIR
// SYNTAX: error: --kernel 'softmax': expected OP=FILE.nki
// MISSING: error: --kernel softmax: no kernel file '{{.*}}.missing.nki'
// NODIR: error: --kernel-lib '{{.*}}.nodir' is not a directory

// CHECK: error: 'graph.softmax': kernel '{{.*}}softmax.nki' cannot implement it: assertion failed: the row count must be a multiple of 128
// CHECK: softmax.nki:{{[0-9]+}}:5: note: assertion failed: the row count must be a multiple of 128
func.func @rows(%x: tensor<120x32xf32>) -> tensor<120x32xf32> {
  %y = graph.softmax %x axes = [1] : (tensor<120x32xf32>) -> tensor<120x32xf32>
  return %y : tensor<120x32xf32>
}

// -----

// CHECK: error: 'graph.softmax' over axes [0]: a softmax kernel normalises the last axis only
func.func @axis(%x: tensor<128x32xf32>) -> tensor<128x32xf32> {
  %y = graph.softmax %x axes = [0] : (tensor<128x32xf32>) -> tensor<128x32xf32>
  return %y : tensor<128x32xf32>
}

// -----

// CHECK: error: 'graph.layer_norm': its Mean / InvStdDev outputs are used, which a layer-norm kernel does not produce
func.func @stats(%x: tensor<128x32xf32>) -> (tensor<128x32xf32>, tensor<128x1xf32>) {
  %y, %m, %r = graph.layer_norm %x axis = 1 : (tensor<128x32xf32>) -> (tensor<128x32xf32>, tensor<128x1xf32>, tensor<128x1xf32>)
  return %y, %m : tensor<128x32xf32>, tensor<128x1xf32>
}

// -----

// CHECK: error: 'graph.layer_norm' from axis 0: a layer-norm kernel normalises the last axis only
func.func @ln_axis(%x: tensor<128x32xf32>) -> tensor<128x32xf32> {
  %y, %m, %r = graph.layer_norm %x axis = 0 : (tensor<128x32xf32>) -> (tensor<128x32xf32>, tensor<1x1xf32>, tensor<1x1xf32>)
  return %y : tensor<128x32xf32>
}

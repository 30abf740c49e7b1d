// Tests that bad --auto-cast settings are one-line errors, from the pass
// and from trellis-cc (which also checks the target's dtypes).
// RUN: not trellis-opt %s --trellis-auto-cast=mode=half 2>&1 | FileCheck %s --check-prefix=MODE
// MODE: error: --auto-cast=half: expected none, matmult or all
// RUN: not trellis-opt %s --trellis-auto-cast="mode=matmult type=fp32" 2>&1 | FileCheck %s --check-prefix=TYPE
// TYPE: error: --auto-cast-type=fp32: expected bf16, fp16 or fp8_e4m3
// RUN: not trellis-opt %s --trellis-auto-cast="mode=all type=fp8_e4m3" 2>&1 | FileCheck %s --check-prefix=ALLFP8
// ALLFP8: error: --auto-cast=all does not take --auto-cast-type=fp8_e4m3

// RUN: not trellis-cc compile %s --auto-cast=some -o %t.tnef 2>&1 | FileCheck %s --check-prefix=CC-MODE
// CC-MODE: trellis-cc: error: --auto-cast=some: expected none, matmult or all
// RUN: not trellis-cc compile %s --auto-cast=all --auto-cast-type=fp8_e4m3 -o %t.tnef 2>&1 | FileCheck %s --check-prefix=ALLFP8
// A target without fp8 (trn1's config minus f8e4m3) rejects the flag, naming it.
// RUN: sed 's/"f8e4m3", //' %trellis_src/targets/trn1.json > %t.nofp8.json
// RUN: not trellis-cc compile %s --target %t.nofp8.json --auto-cast=matmult --auto-cast-type=fp8_e4m3 -o %t.tnef 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: trellis-cc: error: --auto-cast-type=fp8_e4m3: target 'trn1' does not support f8e4m3 (its dtypes: f32, bf16, f16, f8e5m2,
// ...but the same target compiles bf16.
// RUN: trellis-cc compile %s --target %t.nofp8.json --auto-cast=matmult -o %t.tnef
// RUN: not trellis-cc compile %trellis_src/kernels/softmax.nki --auto-cast=matmult -o %t.tnef 2>&1 | FileCheck %s --check-prefix=KERNEL
// KERNEL: trellis-cc: error: --auto-cast applies to models

func.func @main(%x: tensor<4x8xf32> {trellis.name = "x"}) -> (tensor<4x4xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<0.5> : tensor<8x4xf32>
  %y = graph.matmul %x, %w : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// RUN: trellis-opt %s --split-input-file --convert-tile-to-isa --verify-diagnostics
// RUN: not trellis-opt %s --split-input-file --convert-tile-to-isa=target=no-such-target 2>&1 | FileCheck %s --check-prefix=TARGET

// Tests that an unknown target is named, with the known ones.
// TARGET: error: unknown target 'no-such-target'{{.*}}(known targets: inf2, trn1, trn2)

// Tests that running out of SBUF is a clear error naming the buffer.
func.func @too_big(%a: memref<128x65536xf32, #tile.mem<hbm>> {trellis.input = "a"}) {
  // expected-error @+1 {{'tile.alloc' op does not fit in sbuf (262144 bytes per partition); spilling is not implemented yet}}
  %t0 = tile.alloc : memref<128x65536xf32, #tile.mem<sbuf>>
  tile.load %t0 <[0+128] +0 [[65535,1]]>, %a <[0+128 x 65536] +0 [[65535,1]]> : memref<128x65536xf32, #tile.mem<sbuf>>, memref<128x65536xf32, #tile.mem<hbm>>
  return
}


//===- GraphNormOps.td - Trellis graph dialect: Norm family ----*- tablegen -*-===//
//
// TODO(family owner): describe. Included by GraphOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_GRAPH_NORM_OPS
#define TRELLIS_GRAPH_NORM_OPS

#endif // TRELLIS_GRAPH_NORM_OPS

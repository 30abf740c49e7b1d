//===- GraphConvOps.td - Trellis graph dialect: Conv family ----*- tablegen -*-===//
//
// TODO(family owner): describe. Included by GraphOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_GRAPH_CONV_OPS
#define TRELLIS_GRAPH_CONV_OPS

#endif // TRELLIS_GRAPH_CONV_OPS

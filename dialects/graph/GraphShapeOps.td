//===- GraphShapeOps.td - Trellis graph dialect: Shape family ----*- tablegen -*-===//
//
// TODO(family owner): describe. Included by GraphOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_GRAPH_SHAPE_OPS
#define TRELLIS_GRAPH_SHAPE_OPS

#endif // TRELLIS_GRAPH_SHAPE_OPS

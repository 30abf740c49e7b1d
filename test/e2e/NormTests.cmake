# The norm family's end-to-end tests (included by test/e2e/CMakeLists.txt):
# every ONNX backend node test of Softmax, LogSoftmax, LayerNormalization,
# InstanceNormalization, the Reduce* ops and ArgMax/ArgMin that passes today
# (a regression list; docs/normalization.md lists the ones that do not), and
# the generated cases of gen_norm_cases.py.

set(norm_node_tests
  test_instancenorm_epsilon test_instancenorm_example
  test_layer_normalization_default_axis
  test_softmax_large_number test_softmax_large_number_expanded
  test_softmax_example test_softmax_example_expanded
  test_logsoftmax_large_number test_logsoftmax_large_number_expanded
  test_logsoftmax_example_1 test_logsoftmax_example_1_expanded
  test_reduce_log_sum test_reduce_log_sum_asc_axes test_reduce_log_sum_default
  test_reduce_log_sum_desc_axes test_reduce_log_sum_negative_axes)
foreach(op argmax argmin)
  foreach(form default_axis keepdims negative_axis_keepdims no_keepdims)
    foreach(data example random)
      list(APPEND norm_node_tests test_${op}_${form}_${data}
                                  test_${op}_${form}_${data}_select_last_index)
    endforeach()
  endforeach()
endforeach()
foreach(axis 2d_axis0 2d_axis1 2d_axis_negative_1 2d_axis_negative_2
             3d_axis0_epsilon 3d_axis1_epsilon 3d_axis2_epsilon 3d_axis_negative_1_epsilon
             3d_axis_negative_2_epsilon 3d_axis_negative_3_epsilon
             4d_axis0 4d_axis1 4d_axis2 4d_axis3 4d_axis_negative_1 4d_axis_negative_2
             4d_axis_negative_3 4d_axis_negative_4)
  list(APPEND norm_node_tests test_layer_normalization_${axis})
endforeach()
foreach(op softmax logsoftmax)
  foreach(axis axis_0 axis_1 axis_2 default_axis negative_axis)
    list(APPEND norm_node_tests test_${op}_${axis} test_${op}_${axis}_expanded)
  endforeach()
endforeach()
foreach(data example random)
  foreach(op l1 l2)
    foreach(form default_axes_keepdims do_not_keepdims keep_dims negative_axes_keep_dims)
      list(APPEND norm_node_tests test_reduce_${op}_${form}_${data})
    endforeach()
  endforeach()
  foreach(op max mean min prod sum_square)
    foreach(form do_not_keepdims keepdims negative_axes_keepdims)
      list(APPEND norm_node_tests test_reduce_${op}_${form}_${data})
    endforeach()
  endforeach()
  list(APPEND norm_node_tests test_reduce_mean_default_axes_keepdims_${data}
       test_reduce_min_default_axes_keepdims_${data} test_reduce_prod_default_axes_keepdims_${data}
       test_reduce_sum_square_default_axes_keepdims_${data})
endforeach()
list(APPEND norm_node_tests test_reduce_max_default_axes_keepdim_example
     test_reduce_max_default_axes_keepdims_random)

foreach(case ${norm_node_tests})
  add_test(NAME e2e.onnx.${case}
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/norm_node_test.sh ${CMAKE_BINARY_DIR}/bin
            ${TRELLIS_ONNX_NODE_DIR}/${case} ${CMAKE_CURRENT_BINARY_DIR}/onnx/${case})
  set_tests_properties(e2e.onnx.${case} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
endforeach()

# ReduceSum takes its axes as an input from opset 13: compiled in.
foreach(form default_axes_keepdims do_not_keepdims empty_axes_input_noop keepdims
             negative_axes_keepdims)
  foreach(data example random)
    set(case test_reduce_sum_${form}_${data})
    add_test(NAME e2e.onnx.${case}
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/norm_node_test.sh ${CMAKE_BINARY_DIR}/bin
              ${TRELLIS_ONNX_NODE_DIR}/${case} ${CMAKE_CURRENT_BINARY_DIR}/onnx/${case}
              --constant axes=1)
    set_tests_properties(e2e.onnx.${case} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
  endforeach()
endforeach()

add_test(NAME e2e.norm.cases
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/norm_cases_test.sh ${TRELLIS_SOURCE_DIR} ${CMAKE_BINARY_DIR}/bin
          ${CMAKE_CURRENT_BINARY_DIR}/norm/cases)
set_tests_properties(e2e.norm.cases PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)

# nn.LayerNorm, GELU and softmax exported by PyTorch at opset 14: fused by
# --trellis-fuse-norm and checked against PyTorch.
add_test(NAME e2e.torch.norm
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/torch_norm_test.sh ${TRELLIS_SOURCE_DIR} ${CMAKE_BINARY_DIR}/bin
          ${CMAKE_CURRENT_BINARY_DIR}/torch/norm)
set_tests_properties(e2e.torch.norm PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300)

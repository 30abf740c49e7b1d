# The norm family's end-to-end tests beyond the ONNX backend node tests
# (those run in the conformance suite, test/conformance): generated cases
# with numpy references for the lowering's layouts, and a PyTorch export
# whose chains --trellis-fuse-norm fuses. Included by test/e2e/CMakeLists.txt.

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

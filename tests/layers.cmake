# core/src's layering rule (README "Layout"): no subsystem includes one above it.
add_test(NAME layers COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/scripts/check_layers.sh ${CMAKE_SOURCE_DIR}/core/src)
set_tests_properties(layers PROPERTIES LABELS c TIMEOUT 60)

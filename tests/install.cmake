# cmake --install + pkg-config + the C quick start, end to end.
add_test(NAME install_and_pkg_config
         COMMAND ${CMAKE_SOURCE_DIR}/tests/scripts/install_check.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR}
                 $<TARGET_FILE:rudder-dataplane>)
set_tests_properties(install_and_pkg_config PROPERTIES TIMEOUT 120)

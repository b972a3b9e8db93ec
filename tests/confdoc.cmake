# CONFIGURATION.md must match what the property table generates.
add_test(NAME configuration_md_is_current
         COMMAND ${CMAKE_COMMAND} -DGEN=$<TARGET_FILE:rudder-confdoc>
                 -DDOC=${CMAKE_SOURCE_DIR}/CONFIGURATION.md
                 -P ${CMAKE_SOURCE_DIR}/tests/scripts/compare_confdoc.cmake)

# The walkerOS conformance vectors, run by the command-line tool in walkerOS mode; the
# tool prints one line per failing case and exits non-zero when any failed.
if(TARGET ruddercore-cli)
  add_test(NAME conformance
           COMMAND ruddercore-cli conformance ${CMAKE_SOURCE_DIR}/tests/conformance/walkeros-mapping.json)
  set_tests_properties(conformance PROPERTIES LABELS "conformance" TIMEOUT 120)
endif()

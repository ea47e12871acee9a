# Runs COMMAND ("|"-separated) and checks how it ended. Used by taskfarm_add_expect_test.
#   STATUS  the exit status expected, or "nonzero"
#   OUTPUT  a regular expression the combined stdout and stderr must match
#   NOT_OUTPUT  (optional) one they must not match
#   WITHIN  seconds the whole job may take; a job still running then has hung
string(REPLACE "|" ";" command "${COMMAND}")
string(TIMESTAMP started "%s")
execute_process(COMMAND ${command} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT ${WITHIN})
string(TIMESTAMP ended "%s")
math(EXPR took "${ended} - ${started}")
set(all "${out}${err}")
message("exit status: ${status}, took about ${took} s\n--- output ---\n${all}--- end ---")
if(status MATCHES "timeout")
  message(FATAL_ERROR "the job did not end by itself within ${WITHIN} s: ${status}")
endif()
# A process that died of a signal ("Segmentation fault", "Subprocess aborted") ended with a
# non-zero status, as a shell sees it (128 + the signal).
if(NOT status MATCHES "^[0-9]+$")
  set(status "died of a signal (${status})")
  if(NOT STATUS STREQUAL "nonzero")
    message(FATAL_ERROR "expected exit status ${STATUS}, got: ${status}")
  endif()
endif()
if(STATUS STREQUAL "nonzero")
  if(status EQUAL 0)
    message(FATAL_ERROR "expected a non-zero exit status, got 0")
  endif()
elseif(NOT status EQUAL STATUS)
  message(FATAL_ERROR "expected exit status ${STATUS}, got ${status}")
endif()
if(NOT all MATCHES "${OUTPUT}")
  message(FATAL_ERROR "the output does not match: ${OUTPUT}")
endif()
if(NOT_OUTPUT AND all MATCHES "${NOT_OUTPUT}")
  message(FATAL_ERROR "the output matches what it must not: ${NOT_OUTPUT}")
endif()

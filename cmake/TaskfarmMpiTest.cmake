# Registers multi-rank tests. One test, many sizes: every size is its own CTest test
# with the mpi label, a timeout (a hang is the usual failure of MPI code) and
# PROCESSORS set so that `ctest -j` does not stack several farms on the same cores.

cmake_host_system_information(RESULT TASKFARM_HOST_CORES QUERY NUMBER_OF_LOGICAL_CORES)

# Launcher flags that this machine needs, decided here and nowhere else: OpenMPI refuses
# to run as root without being told, and refuses more ranks than cores unless oversubscribed.
execute_process(COMMAND id -u OUTPUT_VARIABLE TASKFARM_UID OUTPUT_STRIP_TRAILING_WHITESPACE)
set(TASKFARM_MPIEXEC_ROOT_FLAGS "")
if(TASKFARM_UID STREQUAL "0")
  set(TASKFARM_MPIEXEC_ROOT_FLAGS --allow-run-as-root)
endif()

function(taskfarm_mpiexec_command out np)
  set(flags ${TASKFARM_MPIEXEC_ROOT_FLAGS})
  if(np GREATER TASKFARM_HOST_CORES)
    list(APPEND flags --oversubscribe)
  endif()
  set(${out} ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${flags} PARENT_SCOPE)
endfunction()

# The cores a job of np ranks occupies, for CTest's PROCESSORS property.
function(taskfarm_cores_for out np)
  set(cores ${np})
  if(cores GREATER TASKFARM_HOST_CORES)
    set(cores ${TASKFARM_HOST_CORES})
  endif()
  set(${out} ${cores} PARENT_SCOPE)
endfunction()

# taskfarm_add_mpi_test(NAME name COMMAND exe args... SIZES 1 3 4 8 [TIMEOUT s]
#                       [PASS_REGEX re] [LOCAL_PASS_REGEX re] [LABELS extra])
# Size 1 runs inline (TASKFARM_LOCAL_WORKERS=0), and brings NAME_local: the command started
# plainly as a local farm of 3 workers, expected to print LOCAL_PASS_REGEX (or PASS_REGEX).
function(taskfarm_add_mpi_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT;PASS_REGEX;LOCAL_PASS_REGEX" "COMMAND;SIZES;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  foreach(np IN LISTS T_SIZES)
    taskfarm_mpiexec_command(launcher ${np})
    set(test ${T_NAME}_np${np})
    add_test(NAME ${test} COMMAND ${launcher} ${T_COMMAND})
    taskfarm_cores_for(processors ${np})
    set_tests_properties(${test} PROPERTIES LABELS "mpi;${T_LABELS}" TIMEOUT ${T_TIMEOUT} PROCESSORS ${processors})
    if(T_PASS_REGEX)
      set_tests_properties(${test} PROPERTIES PASS_REGULAR_EXPRESSION "${T_PASS_REGEX}")
    endif()
    if(np EQUAL 1)
      # One rank is the inline mode here; the local farm has a tier of its own, below.
      set_tests_properties(${test} PROPERTIES ENVIRONMENT TASKFARM_LOCAL_WORKERS=0)
      set(has_one_rank TRUE)
    endif()
  endforeach()
  # The local tier (label local): the same test started plainly, a farm of 3 workers in one
  # process (more workers than this machine has cores, as the MPI tests have ranks).
  if(has_one_rank)
    add_test(NAME ${T_NAME}_local COMMAND ${T_COMMAND})
    set_tests_properties(${T_NAME}_local PROPERTIES LABELS "local;${T_LABELS}" TIMEOUT ${T_TIMEOUT}
      ENVIRONMENT TASKFARM_LOCAL_WORKERS=3 PROCESSORS ${TASKFARM_HOST_CORES})
    if(T_LOCAL_PASS_REGEX)
      set_tests_properties(${T_NAME}_local PROPERTIES PASS_REGULAR_EXPRESSION "${T_LOCAL_PASS_REGEX}")
    elseif(T_PASS_REGEX)
      set_tests_properties(${T_NAME}_local PROPERTIES PASS_REGULAR_EXPRESSION "${T_PASS_REGEX}")
    endif()
  endif()
endfunction()

# taskfarm_add_expect_test(NAME name NP n COMMAND exe args... STATUS code|nonzero
#                          OUTPUT regex [NOT_OUTPUT regex] [WITHIN seconds] [ENV VAR=value...] [NO_LOCAL])
# Runs the job and checks how it ended: its exit status, its output, and that it ended in time.
function(taskfarm_add_expect_test)
  cmake_parse_arguments(T "NO_LOCAL;LOCAL_TWIN" "NAME;NP;STATUS;OUTPUT;NOT_OUTPUT;WITHIN" "COMMAND;ENV" ${ARGN})
  # A farm of NP ranks also ends the same way as a local farm of NP - 2 workers (label local),
  # unless the test says NO_LOCAL (it needs processes of its own: a rank stopped, an MPMD launch).
  if(T_NP AND T_NP GREATER 2 AND NOT T_NO_LOCAL)
    math(EXPR workers "${T_NP} - 2")
    set(local_args NAME ${T_NAME}_local LOCAL_TWIN COMMAND ${T_COMMAND} STATUS ${T_STATUS} OUTPUT "${T_OUTPUT}"
      NOT_OUTPUT "${T_NOT_OUTPUT}" ENV ${T_ENV} TASKFARM_LOCAL_WORKERS=${workers})
    if(T_WITHIN)
      list(APPEND local_args WITHIN ${T_WITHIN})
    endif()
    taskfarm_add_expect_test(${local_args})
  endif()
  if(NOT T_WITHIN)
    set(T_WITHIN 30)
  endif()
  set(launcher "")
  set(processors 1)
  if(T_NP)
    taskfarm_mpiexec_command(launcher ${T_NP})
    taskfarm_cores_for(processors ${T_NP})
  endif()
  string(REPLACE ";" "|" command "${launcher};${T_COMMAND}")
  add_test(NAME ${T_NAME} COMMAND ${CMAKE_COMMAND}
    "-DCOMMAND=${command}" "-DSTATUS=${T_STATUS}" "-DOUTPUT=${T_OUTPUT}" "-DNOT_OUTPUT=${T_NOT_OUTPUT}" "-DWITHIN=${T_WITHIN}"
    -P ${PROJECT_SOURCE_DIR}/cmake/expect.cmake)
  math(EXPR timeout "${T_WITHIN} + 30")
  set_tests_properties(${T_NAME} PROPERTIES LABELS "mpi;lifecycle" TIMEOUT ${timeout} PROCESSORS ${processors})
  # Started plainly, a test is of the inline mode unless it says otherwise (ENV
  # TASKFARM_LOCAL_WORKERS=N for the local farm).
  if(NOT T_NP AND NOT "${T_ENV}" MATCHES "TASKFARM_LOCAL_WORKERS=")
    list(APPEND T_ENV TASKFARM_LOCAL_WORKERS=0)
  endif()
  if(T_ENV)
    set_tests_properties(${T_NAME} PROPERTIES ENVIRONMENT "${T_ENV}")
  endif()
  if(NOT T_NP AND "${T_ENV}" MATCHES "TASKFARM_LOCAL_WORKERS=[1-9]")
    set_tests_properties(${T_NAME} PROPERTIES LABELS "local;lifecycle" PROCESSORS ${TASKFARM_HOST_CORES})
  endif()
  # The local farm's twin of a launcher test (label local_twin): the sanitizer tier leaves
  # these out (Makefile); mpi_tests_local and the local farm's own tests stay in it.
  if(T_LOCAL_TWIN)
    set_tests_properties(${T_NAME} PROPERTIES LABELS "local;lifecycle;local_twin")
  endif()
endfunction()

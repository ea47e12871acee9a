# The two commands of the README, and the steps they are made of.
#   make demo   install what is missing, build, run examples/01_square under mpirun
#   make test   install what is missing, build, run every test

BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
NP ?= 4

# OpenMPI refuses root without being told, and more ranks than cores unless oversubscribed.
MPIRUN_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-run-as-root) \
                $(if $(shell [ $(NP) -gt $$(nproc) ] && echo yes),--oversubscribe)

# The fuzzer runs this long within make test: a minute on CI, a few seconds elsewhere.
FUZZ_SECONDS ?= $(if $(CI),60,10)
# Under sanitizers: OpenMPI keeps memory until exit (not our leaks), and memory-bound tests
# measure the sanitizer's own memory. The suppression files say what else is not ours. The
# job scripts' tests (label jobscripts: shell scripts under faked batch systems, mostly naps)
# run in the plain build only: the runtime they start is the one the other tests check
# under the sanitizers, and they hold both cores for about 45 s in the plain build alone.
# Nor do the local farm's twins of the launcher tests (label local_twin, ~60): the local
# farm runs under the sanitizers in mpi_tests_local and in its own tests (signals, journal,
# task output), and CI must stay under 30 minutes.
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
                 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$(CURDIR)/tests/sanitizers/ubsan.supp \
                 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/sanitizers/tsan.supp
SANITIZER_CTEST = ctest -j $(JOBS) --output-on-failure -LE "memory|install|bench|slurm|jobscripts|local_twin|compile_fail$(1)" --timeout 600
# The sanitizer builds optimise at -O1 with line tables only (-g1), as AddressSanitizer's
# documentation suggests: the stacks they print keep file and line, and a build takes half
# the time of -O2 -g (8 minutes here for the ASan build before).
SANITIZER_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DTASKFARM_BUILD_BENCH=OFF
# ThreadSanitizer also defers the signal handlers of a process a task forked, to a moment of
# its own choosing: the tests of how those processes end (label fork_signals) cannot hold.
# GCC 12's AddressSanitizer takes no lock of its allocator around fork: an isolated task's
# child, forked beside allocating threads, can wait forever (label fork_in_threads).

.PHONY: deps configure build demo test fuzz test-asan test-tsan bench clean

deps:
	./scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	mpirun -np $(NP) $(MPIRUN_FLAGS) $(BUILD)/examples/01_square

# CI (CI=true) also runs the suite under AddressSanitizer and UBSan. After each suite, no
# process of it may be left running.
test: build
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure
	tests/no_leftover_processes.sh $(CURDIR)/$(BUILD)
	$(MAKE) fuzz
	$(if $(CI),$(MAKE) test-asan)

# The wire decoder under libFuzzer for FUZZ_SECONDS, from the checked-in corpus.
fuzz: deps
	cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DTASKFARM_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-fuzz -j $(JOBS) --target fuzz_wire
	mkdir -p build-fuzz/corpus
	build-fuzz/tests/fuzz/fuzz_wire -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 build-fuzz/corpus tests/fuzz/corpus

test-asan: deps
	cmake -S . -B build-asan $(SANITIZER_FLAGS) -DTASKFARM_SANITIZE=address,undefined
	cmake --build build-asan -j $(JOBS)
	cd build-asan && $(SANITIZER_ENV) $(call SANITIZER_CTEST,|fork_in_threads)
	tests/no_leftover_processes.sh $(CURDIR)/build-asan

test-tsan: deps
	cmake -S . -B build-tsan $(SANITIZER_FLAGS) -DTASKFARM_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && $(SANITIZER_ENV) $(call SANITIZER_CTEST,|fork_signals)
	tests/no_leftover_processes.sh $(CURDIR)/build-tsan

# Benchmarks side by side with mpi4py.futures and dask, in a Release build (docs/performance.md).
bench:
	./scripts/install-deps.sh --bench
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DTASKFARM_BUILD_TESTS=OFF
	cmake --build build-release -j $(JOBS)
	bench/run.py build-release
	bench/report.py

clean:
	rm -rf $(BUILD) build-release build-fuzz build-asan build-tsan

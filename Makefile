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

.PHONY: deps configure build demo test bench clean

deps:
	./scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	mpirun -np $(NP) $(MPIRUN_FLAGS) $(BUILD)/examples/01_square

test: build
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure

# Benchmarks side by side with mpi4py.futures and dask, in a Release build (docs/performance.md).
bench:
	./scripts/install-deps.sh --bench
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DTASKFARM_BUILD_TESTS=OFF
	cmake --build build-release -j $(JOBS)
	bench/run.py build-release
	bench/report.py

clean:
	rm -rf $(BUILD) build-release

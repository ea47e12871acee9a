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

.PHONY: deps configure build demo test clean

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

clean:
	rm -rf $(BUILD)

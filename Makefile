# The two set-up commands: `make run` and `make test` (README.md).
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
DATA ?= data
# CI's release build carries no debug info: a third less compile time, the same code.
CI_FLAGS := $(if $(filter true,$(CI)),-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -DNDEBUG",)

.PHONY: all deps build run test unit interop asan bench format clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CI_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/apps/chorusd/chorusd --data-dir $(DATA)

# Unit and interop tests on the release build, then the unit tests under ASan+UBSan.
test: build asan
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) -L unit

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCHORUS_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS) --target chorus_unit_tests

bench: build
	@scripts/install-deps --bench
	bench/side-by-side

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

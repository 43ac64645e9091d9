# effbench: a thin wrapper over CMake, as DuckDB's Makefile is.
#   make run   install what is missing, build (Release), run the quick suite
#              into ./effbench.db and print the efficiency table
#   make test  install what is missing, build, run every test with ctest
#   make sanitize  the tests under ASan+UBSan (build-asan/)

BUILD_DIR ?= build
ASAN_DIR ?= build-asan
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
EFFBENCH_DB ?= effbench.db

.PHONY: all deps build run test sanitize clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/harness/cli/effbench run --suite quick --db $(EFFBENCH_DB)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

sanitize: deps
	@cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DEFFBENCH_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)

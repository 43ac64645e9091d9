# effbench: a thin wrapper over CMake, as DuckDB's Makefile is.
#   make run   install what is missing, build (Release), run the quick suite
#              into ./effbench.db and print the efficiency table
#   make test  install what is missing, build, run every test with ctest
#   make test-fast  the unit tests only (ctest -L unit): under 2 minutes on two
#              cores; labels: unit, integration, slow, browser, isa
#   make test-isa  the workload, engine and CLI tests and the quick suite
#              under EFFBENCH_MAX_ISA=avx2 and sse41 (x86-64 only)
#   make sanitize  the tests under ASan+UBSan (build-asan/): every label but
#              slow, browser and cli (the CLI tests on PostgreSQL), and of the
#              slow ones the fleet's (three agents, the torture test);
#              SANITIZE_ALL=1 runs every test
#   make fuzz  build the libFuzzer targets with clang (build-fuzz/) and run each
#              for FUZZ_SECONDS
#   make agent-aarch64  cross-build effbench, effbench-agent and the tests for
#              64-bit Arm (build-aarch64/), against a sysroot of Debian's arm64
#              packages that scripts/make-aarch64-sysroot.sh makes there
#   make test-aarch64  the aarch64 unit tests under qemu-aarch64, and aarch64
#              agents under qemu in a fleet of this machine's build

BUILD_DIR ?= build
ASAN_DIR ?= build-asan
FUZZ_DIR ?= build-fuzz
AARCH64_DIR ?= build-aarch64
FUZZ_SECONDS ?= 30
SANITIZE_ALL ?=
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
EFFBENCH_DB ?= effbench.db

.PHONY: all deps build run test test-fast test-isa sanitize fuzz agent-aarch64 test-aarch64 clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/harness/cli/effbench run --suite quick --db $(EFFBENCH_DB)

# The [db] tests run on SQLite and again on PostgreSQL: a throwaway cluster
# that pg_virtualenv (postgresql-common) makes for the run and drops after.
PG_CLUSTER = pg_virtualenv

test: build
	cd $(BUILD_DIR) && $(PG_CLUSTER) ctest --output-on-failure -j $(JOBS)

test-fast: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

test-isa: build
	./scripts/test-isa-levels.sh $(BUILD_DIR)

sanitize: deps
	@cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DEFFBENCH_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_DIR) -j $(JOBS)
	@if [ -n "$(SANITIZE_ALL)" ]; then cd $(ASAN_DIR) && $(PG_CLUSTER) ctest --output-on-failure -j $(JOBS); else \
	  cd $(ASAN_DIR) && $(PG_CLUSTER) ctest --output-on-failure -j $(JOBS) -LE 'slow|browser|cli' && \
	  ctest --output-on-failure -j $(JOBS) -L slow -R 'through a coordinator|torture'; fi

fuzz: deps
	@if ! command -v clang++ >/dev/null; then echo "make fuzz: clang++ not found; skipped"; exit 0; fi; \
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_CXX_COMPILER=clang++ -DEFFBENCH_FUZZ=ON \
	      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && \
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target frame_decoder_fuzz && \
	mkdir -p $(FUZZ_DIR)/corpus && cp tests/fuzz/corpus/* $(FUZZ_DIR)/corpus/ && \
	$(FUZZ_DIR)/tests/fuzz/frame_decoder_fuzz $(FUZZ_DIR)/corpus -max_len=8192 \
	    -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1

agent-aarch64:
	@./scripts/install-deps.sh --aarch64
	@./scripts/make-aarch64-sysroot.sh $(AARCH64_DIR)/sysroot
	@cmake -S . -B $(AARCH64_DIR) --toolchain cmake/aarch64-linux-gnu.cmake \
	       -DEFFBENCH_SYSROOT=$(abspath $(AARCH64_DIR))/sysroot \
	       -DEFFBENCH_HOST_BUILD=$(abspath $(BUILD_DIR)) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(AARCH64_DIR) -j $(JOBS) --target effbench effbench-agent effbench_tests

test-aarch64: build agent-aarch64
	cd $(AARCH64_DIR) && ctest --output-on-failure -j $(JOBS) -L 'unit|aarch64'

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR) $(AARCH64_DIR)

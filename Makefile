# The two commands of the README, and their parts.
#   make demo   install what is missing, build Release into build/, run the demo
#   make test   install what is missing, build and run every test suite: Release (GCC),
#               AddressSanitizer+UBSan (Clang 14, with lock-annotation checks and the fuzz
#               targets: their regression inputs, then FUZZ_SMOKE_SECONDS of fuzzing each),
#               then ThreadSanitizer (GCC; without the suites of single-threaded code)
#   make fuzz   build the ASan tree and run each fuzz target for FUZZ_SECONDS
#   make bench  build Release and run auditlog-bench (table, PASS/MISS, docs/bench.png)
JOBS ?= $(shell nproc)
DEMO_DIR ?= /tmp/auditlog-demo
CMAKE_FLAGS ?=
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_SECONDS ?= 600

.PHONY: demo test deps build build-asan build-tsan test-release test-asan test-tsan \
        test-fuzz fuzz bench clean

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DAUDITLOG_BUILD_SHARED=ON $(CMAKE_FLAGS)
	cmake --build build -j $(JOBS)

demo: build
	./build/auditlog demo --dir $(DEMO_DIR)

# The sanitizer trees compile the library at -O1 with line tables (-g1): what the sanitizers
# recommend, enough for their stack traces, and half the compile time of -O2 -g.
SANITIZER_BUILD_FLAGS = -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
                        -DAUDITLOG_BUILD_BENCHMARKS=OFF

# Clang 14: ASan+UBSan, -Wthread-safety, and the libFuzzer targets of tests/fuzz.
build-asan: deps
	cmake -S . -B build-asan -G Ninja $(SANITIZER_BUILD_FLAGS) -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DAUDITLOG_SANITIZE=address -DAUDITLOG_FUZZ=ON
	cmake --build build-asan -j $(JOBS)

build-tsan: deps
	cmake -S . -B build-tsan -G Ninja $(SANITIZER_BUILD_FLAGS) -DAUDITLOG_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS)

test-release: build
	cd build && ctest --output-on-failure -j $(JOBS)

# The ASan tree's CTests include every saved fuzz crash input (tests/fuzz/regressions) and
# seed; then a bounded run of each fuzz target. A crash fails.
test-asan: build-asan
	cd build-asan && ctest --output-on-failure -j $(JOBS)

test-fuzz: build-asan
	bash tests/fuzz/run_fuzz.sh build-asan $(FUZZ_SMOKE_SECONDS)

test-tsan: build-tsan
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j $(JOBS)

fuzz: build-asan
	bash tests/fuzz/run_fuzz.sh build-asan $(FUZZ_SECONDS)

test: test-release test-asan test-fuzz test-tsan

bench: build
	./build/auditlog-bench --plot docs/bench.png

clean:
	rm -rf build build-asan build-tsan

# The two commands of the README, and their parts.
#   make demo   install what is missing, build Release into build/, run the demo
#   make test   install what is missing, build and run every test suite
#               (Release, then AddressSanitizer+UBSan, then ThreadSanitizer, then the
#               fuzz targets: their regression inputs, then FUZZ_SMOKE_SECONDS each)
#   make fuzz   build the fuzz targets and run each for FUZZ_SECONDS
#   make bench  build Release and run auditlog-bench (table, PASS/MISS, docs/bench.png)
JOBS ?= $(shell nproc)
DEMO_DIR ?= /tmp/auditlog-demo
CMAKE_FLAGS ?=
FUZZ_SMOKE_SECONDS ?= 30
FUZZ_SECONDS ?= 600

.PHONY: demo test deps build build-asan build-tsan build-fuzz test-release test-asan test-tsan \
        test-fuzz fuzz bench clean

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)
	cmake --build build -j $(JOBS)

demo: build
	./build/auditlog demo --dir $(DEMO_DIR)

build-asan: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUDITLOG_SANITIZE=address \
	  -DAUDITLOG_BUILD_BENCHMARKS=OFF
	cmake --build build-asan -j $(JOBS)

build-tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUDITLOG_SANITIZE=thread \
	  -DAUDITLOG_BUILD_BENCHMARKS=OFF
	cmake --build build-tsan -j $(JOBS)

# libFuzzer targets (tests/fuzz): Clang 14, library instrumented, ASan+UBSan.
build-fuzz: deps
	cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
	  -DAUDITLOG_FUZZ=ON -DAUDITLOG_BUILD_TOOLS=OFF -DAUDITLOG_BUILD_BENCHMARKS=OFF -DAUDITLOG_INSTALL=OFF
	cmake --build build-fuzz -j $(JOBS)

test-release: build
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	cd build-asan && ctest --output-on-failure -j $(JOBS)

test-tsan: build-tsan
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# Every saved crash input (tests/fuzz/regressions) and seed once, then a bounded run of each
# target; a crash fails.
test-fuzz: build-fuzz
	cd build-fuzz && ctest --output-on-failure -j $(JOBS)
	bash tests/fuzz/run_fuzz.sh build-fuzz $(FUZZ_SMOKE_SECONDS)

fuzz: build-fuzz
	bash tests/fuzz/run_fuzz.sh build-fuzz $(FUZZ_SECONDS)

test: test-release test-asan test-tsan test-fuzz

bench: build
	./build/auditlog-bench --plot docs/bench.png

clean:
	rm -rf build build-asan build-tsan build-fuzz

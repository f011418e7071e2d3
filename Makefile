# The two commands of the README, and their parts.
#   make demo   install what is missing, build Release into build/, run the demo
#   make test   install what is missing, build and run every test suite
#               (Release, then AddressSanitizer+UBSan, then ThreadSanitizer)
#   make bench  build Release and run auditlog-bench (table, PASS/MISS, docs/bench.png)
JOBS ?= $(shell nproc)
DEMO_DIR ?= /tmp/auditlog-demo
CMAKE_FLAGS ?=

.PHONY: demo test deps build build-asan build-tsan test-release test-asan test-tsan bench clean

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

test-release: build
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan
	cd build-asan && ctest --output-on-failure -j $(JOBS)

test-tsan: build-tsan
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j $(JOBS)

test: test-release test-asan test-tsan

bench: build
	./build/auditlog-bench --plot docs/bench.png

clean:
	rm -rf build build-asan build-tsan

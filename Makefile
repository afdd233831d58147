# fnlua - thin wrapper: the build is CMake, the set-up is tools/deps.
#
#   make run         install what is missing, build, serve handlers/hello on :8000
#   make test        install what is missing, build, run every test (plain, then ASan+UBSan)
#   make test-plain  only the plain build's tests
#   make test-asan   only the AddressSanitizer + UBSan build's tests
#   make fuzz        a longer libFuzzer run (FUZZ_SECONDS, default 300)
#   make clean

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PORT       ?= 8000
CMAKE_GEN  := -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all build run test test-plain test-asan fuzz clean

all: build

build:
	@tools/deps build
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/fnlua --dir handlers/hello --port $(PORT)

test: test-plain test-asan

test-plain:
	@tools/deps test
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-asan:
	@tools/deps test
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFNLUA_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j$(JOBS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

# fnlua - thin wrapper: the build is CMake, the set-up is tools/deps.
#
#   make run         install what is missing, build, serve handlers/hello on :8000
#   make test        install what is missing, build, run every test: the format
#                    check, plain build, ASan+UBSan build, a short libFuzzer run of
#                    each target, the image
#   make format-check  every C file of server/, tests/unit, tests/fuzz formatted as
#                    .clang-format says (make format rewrites them so)
#   make test-plain  only the plain build's tests
#   make test-asan   only the AddressSanitizer + UBSan build's tests
#   make test-fuzz   only the short fuzz runs (clang)
#   make test-tsan   the suite under ThreadSanitizer (not part of `make test`: slow)
#   make test-image  only the image tests (root: builds and runs the OCI image)
#   make package     the Debian package fnlua_<version>_<arch>.deb in build-pkg/, with
#                    the base image inside (PACKAGE_BASE=0 leaves it out)
#   make test-package  build the package, check it, run a function with it, and
#                    follow docs/tutorial.md as a non-root user (tests/package, tests/e2e)
#   make image       build the OCI image of HANDLER (default handlers/hello) into image/out
#   make bench       benchmarks against the peers, report in bench/results/<date>/
#                    (the I/O-bound workload, io.md, then the echo workload, report.md)
#   make bench-io    only the I/O-bound workload (bench/run io)
#   make fuzz        a longer libFuzzer run (FUZZ_SECONDS per target, default 300)
#   make clean

BUILD      ?= build
PKG_BUILD  ?= build-pkg
PACKAGE_BASE ?= 1
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PORT       ?= 8000
HANDLER    ?= handlers/hello
CMAKE_GEN  := -DCMAKE_BUILD_TYPE=RelWithDebInfo
C_SOURCES  := $(wildcard server/*.c server/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c tests/fuzz/*.h)

.PHONY: all build run format format-check test test-plain test-asan test-tsan test-fuzz test-image package test-package fuzz fuzz-build image bench bench-io clean

all: build

build:
	@tools/deps build
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/fnlua --dir handlers/hello --port $(PORT)

test: format-check test-plain test-asan test-fuzz test-image test-package

format-check:
	@tools/deps test
	clang-format --dry-run --Werror $(C_SOURCES)

format:
	clang-format -i $(C_SOURCES)

test-plain:
	@tools/deps test
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)
	tools/ctest-run $(BUILD) $(JOBS)

test-asan:
	@tools/deps test
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFNLUA_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	tools/ctest-run $(ASAN_BUILD) $(JOBS)

test-tsan:
	@tools/deps test
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DFNLUA_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j$(JOBS)
	TSAN_OPTIONS=halt_on_error=1 tools/ctest-run $(TSAN_BUILD) $(JOBS)

fuzz-build:
	@tools/deps test
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DFNLUA_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS)

test-fuzz: fuzz-build
	cd $(FUZZ_BUILD) && ctest --output-on-failure

fuzz: fuzz-build
	for t in fuzz_json fuzz_request; do \
	  $(FUZZ_BUILD)/tests/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 $(FUZZ_BUILD)/fuzz-corpus/$$t tests/fuzz/corpus/json || exit 1; \
	done
	$(FUZZ_BUILD)/tests/fuzz/fuzz_http -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	  -print_final_stats=1 $(FUZZ_BUILD)/fuzz-corpus/fuzz_http tests/fuzz/corpus/http

image:
	@tools/deps image
	image/build $(HANDLER)

test-image:
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "make test-image: skipped: running an image like the platform needs root (unshare, chroot)"; \
	else tools/deps image && image/test; fi

# The .deb is built from a Release build installed under /usr; the base image
# (image/build --base: the semi-static fnlua, glibc, CA bundle) goes into
# share/fnlua/base so a team builds function images with nothing else.
package:
	@tools/deps package
	@rm -rf $(PKG_BUILD)/base $(PKG_BUILD)/*.deb
	@if [ "$(PACKAGE_BASE)" = 1 ]; then image/build --base --no-deps -q -o $(PKG_BUILD)/base >/dev/null; fi
	@cmake -S . -B $(PKG_BUILD) -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DCMAKE_INSTALL_PREFIX=/usr \
	  -DFNLUA_PACKAGE_BASE=$(if $(filter 1,$(PACKAGE_BASE)),$(abspath $(PKG_BUILD))/base/fnlua-base,) >/dev/null
	@cmake --build $(PKG_BUILD) -j$(JOBS)
	@cd $(PKG_BUILD) && cpack -G DEB >/dev/null
	@ls -l $(PKG_BUILD)/fnlua_*.deb

test-package: package
	tests/package/test $(PKG_BUILD)
	tests/e2e/tutorial $(PKG_BUILD)

bench:
	@tools/deps bench
	bench/run

bench-io:
	@tools/deps bench
	bench/run io

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)

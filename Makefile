# The two commands of the README:
#   make demo   install what is missing, build (Release), run the tour
#   make test   install what is missing, build with -Werror, check formatting, run every test,
#               and fail if a test skipped that tests/allowed_skips.txt does not allow
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: setup configure build demo test format check-format bench clean

setup:
	bash scripts/setup.sh

configure: setup
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: setup
	$(MAKE) build CMAKE_FLAGS="$(CMAKE_FLAGS) -DNNLAB_BUILD_TESTS=OFF -DNNLAB_BUILD_BENCH=OFF"
	bash scripts/demo.sh $(BUILD)/nnlab

test: setup
	$(MAKE) build CMAKE_FLAGS="$(CMAKE_FLAGS) -DNNLAB_WERROR=ON -DNNLAB_BUILD_TESTS=ON"
	$(MAKE) check-format
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure --timeout 900 --output-junit ctest-junit.xml
	python3 scripts/check_skips.py $(BUILD)/ctest-junit.xml tests/allowed_skips.txt

format:
	git ls-files '*.h' '*.cpp' | xargs clang-format -i

check-format:
	git ls-files '*.h' '*.cpp' | xargs clang-format --dry-run --Werror

bench: build
	bash bench/run_all.sh $(BUILD)

clean:
	rm -rf $(BUILD)

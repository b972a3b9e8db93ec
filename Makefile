# The two commands a newcomer needs:  make demo   and   make test
BUILD ?= build
JOBS ?= 2

.PHONY: all deps build demo test test-c test-python test-lua packages bench soak confdoc clean

all: build

deps:
	./scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

# Sends a few events through the C client and the walkerOS destination to a local data plane
# on 127.0.0.1 and prints what arrived.
demo: build
	./scripts/demo.sh $(BUILD)

# Every test: C (ctest, incl. the walkerOS conformance vectors), Python, Lua 5.4, LuaJIT, nginx.
test: build
	./scripts/test.sh $(BUILD)

# The artefacts users install: the sdist and a manylinux wheel (auditwheel, bundling libcurl,
# cJSON, hiredis) in $(BUILD)/packaging/{dist,wheelhouse}, the .deb packages in $(BUILD)/packaging/debs.
packages: build
	./scripts/package.sh $(BUILD)

test-c: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

bench: build
	./bench/run.sh $(BUILD)

# Volume (not in `make test`): the five faults with 1,000,000 events each, with and without the
# spool, and 10,000,000 fuzz executions; prints lost/duplicated/RSS figures (docs/RELIABILITY.md).
soak: build
	./scripts/soak.sh $(BUILD)

confdoc: build
	$(BUILD)/tools/rudder-confdoc > CONFIGURATION.md

clean:
	rm -rf $(BUILD) build-*

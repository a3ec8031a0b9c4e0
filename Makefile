# netbox — build, test, demo and benchmarks.
#
#   make demo    builds netbox and runs a real server and client in one sandbox
#   make test    the whole suite (unit, fuzz smoke, differential, real programs)
#   make bench   native vs netbox on the same workloads
#   make fidelity  docs/fidelity.md: each spec item, its test, Linux's and netbox's result
#
# Both `demo` and `test` install what they need on a Debian machine first.

GO      ?= go
BIN     := bin/netbox
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
# Debian packages the tests and the demo run (tools used inside sandboxes).
DEB_PKGS := gcc make curl python3 iproute2 util-linux iperf3 procps iputils-ping tcpdump traceroute radvd net-tools iputils-tracepath
# What `make bench` compares netbox's links with.
BENCH_PKGS := slirp4netns
# An execution count, not a duration: a -fuzztime duration races Go 1.26's fuzz
# coordinator at its deadline ("context deadline exceeded", go.dev/issue/75804).
FUZZTIME ?= 300000x

.PHONY: all build deps demo test unit fuzz vet bench escape fidelity clean

all: build

build: $(BIN)

$(BIN): $(shell find . -name '*.go' -not -path './bench/*') go.mod go.sum
	CGO_ENABLED=0 $(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/netbox

# deps installs the Debian packages that are missing (needs root, as the
# tests do).
deps:
	@missing=""; for p in $(DEB_PKGS) $(EXTRA_PKGS); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

demo: deps build
	@./scripts/demo.sh $(BIN)

vet:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || { echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...

# fuzz runs every fuzz target briefly; `go test` alone replays their corpora.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$f"; \
			$(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) >.fuzz.log 2>&1 || { cat .fuzz.log; exit 1; }; \
		done; \
	done

unit:
	$(GO) test -count=1 -timeout 20m ./...

# The whole suite, under the race detector: the tests themselves, and the
# netbox binary the end-to-end tests run (a race makes it exit 66, which
# fails the test). The last line is the summary: tests and subtests passed
# and failed.
test: SHELL := /bin/bash
test: deps vet fuzz
	@set -o pipefail; NETBOX_TEST_RACE=1 GORACE="exitcode=66" CGO_ENABLED=1 \
		$(GO) test -race -count=1 -timeout 30m -v ./... 2>&1 | tee .test.log \
		| grep -E '^(FAIL|ok|panic)|^\s*--- FAIL|^\s+\S+_test\.go:[0-9]+:' ; \
	status=$${PIPESTATUS[0]}; \
	pass=$$(grep -cE '^\s*--- PASS' .test.log); fail=$$(grep -cE '^\s*--- FAIL' .test.log); \
	if [ $$status -ne 0 ] && [ $$fail -eq 0 ]; then fail=1; fi; \
	echo "$$pass passed, $$fail failed"; exit $$status

# escape runs the escape suite alone (make test runs it too): each route
# natively first, then in netbox as root and as an unprivileged user.
escape: deps
	$(GO) test -count=1 -v -run 'TestEscape' ./cmd/netbox

# fidelity runs the differential programs (natively and in both loopback
# modes) and writes docs/fidelity.md from what they showed; a program that
# differs from Linux shows as such in the table rather than stopping it.
fidelity: deps
	-NETBOX_FIDELITY_JSON=$(CURDIR)/.fidelity.json $(GO) test -count=1 -run 'TestFidelityDiff' ./cmd/netbox
	$(GO) run ./internal/fidelity -results .fidelity.json -out docs/fidelity.md
	@grep -A3 '^| items' docs/fidelity.md

bench: build
	@$(MAKE) --no-print-directory deps EXTRA_PKGS="$(BENCH_PKGS)"
	$(GO) run ./bench -netbox $(BIN)
	$(GO) run ./bench -netbox $(BIN) -links -runs 3

clean:
	rm -rf bin .test.log .fidelity.json

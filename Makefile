# Switchboard's single entry point. `make help` lists the targets.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --warn-undefined-variables

export GOFLAGS := -buildvcs=false
GO ?= go
BUF := web/node_modules/.bin/buf
PROTOVALIDATE_VERSION := v1.2.2
VERSION ?= dev
REVISION ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X github.com/switchboardhq/switchboard/server/platform/buildinfo.Version=$(VERSION) \
	-X github.com/switchboardhq/switchboard/server/platform/buildinfo.Revision=$(REVISION)
# PostgreSQL used by the storage suite; `.ci/run` makes sure it is up.
SWITCHBOARD_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export SWITCHBOARD_TEST_POSTGRES

.PHONY: help
help: ## Describe the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-15s %s\n", $$1, $$2}'

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

.PHONY: deps
deps: web/node_modules/.package-lock.json ## Install the npm packages (buf, protoc-gen-es, console)

.PHONY: protodeps
protodeps: deps ## Stage third-party protos into .build/protos (not committed)
	install -D -m 0644 web/node_modules/google-proto-files/google/api/annotations.proto .build/protos/googleapis/google/api/annotations.proto
	install -D -m 0644 web/node_modules/google-proto-files/google/api/http.proto .build/protos/googleapis/google/api/http.proto
	dir=$$($(GO) mod download -json github.com/bufbuild/protovalidate@$(PROTOVALIDATE_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	install -D -m 0644 "$$dir/proto/protovalidate/buf/validate/validate.proto" .build/protos/protovalidate/buf/validate/validate.proto

.PHONY: generate
generate: protodeps ## Regenerate gen/ (protobuf) and ent/ (data model), offline
	$(BUF) generate
	$(GO) generate ./ent

.PHONY: checkgenerate
checkgenerate: generate ## Fail if generated code is stale
	@if [[ -n "$$(git status --porcelain -- gen ent)" ]]; then \
		git status --porcelain -- gen ent; git diff --stat -- gen ent; \
		echo "generated code is stale: run make generate and commit"; exit 1; fi

.PHONY: lint
lint: protodeps ## buf lint, gofmt, go vet
	$(BUF) lint
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/' | grep -v '^ent/' ) 2>/dev/null); \
		if [[ -n "$$out" ]]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

.PHONY: web
web: deps ## Build the console into web/dist (embedded by the Go build)
	cd web && npm run build

.PHONY: build
build: web ## Build bin/switchboard with the console embedded
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/switchboard ./cmd/switchboard

.PHONY: run
run: build ## Build and serve on SQLite in ./data (console at https://localhost:8443)
	./bin/switchboard serve --data-dir ./data

.PHONY: test-go
test-go: ## Go tests with -race on SQLite and PostgreSQL
	$(GO) test -race -count=1 ./...

.PHONY: test-web
test-web: build ## Console typecheck and the Chromium sign-in test against the real binary
	cd web && npm run typecheck && SWITCHBOARD_BIN=$(CURDIR)/bin/switchboard npm test

.PHONY: test
test: checkgenerate lint test-go test-web ## Everything CI runs

.PHONY: clean
clean: ## Remove build output
	rm -rf bin .build web/dist/assets web/dist/index.html

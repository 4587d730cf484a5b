# Switchyard — make help lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
BIN       := bin/switchyard
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
PKGS      := ./...
# Integration tests need the local Asterisk and Postgres; `make test` brings
# both up (installing them on a fresh machine) before running.
TEST_FLAGS ?= -race -count=1 -timeout 40m
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: help
help: ## list targets
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z_-]+:.*## /{printf "  \033[1m%-15s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The web console (web/): npm ci only when node_modules is older than the
# lock file, the build (typed client generation + tsc + vite) only when a
# source or api/openapi.yaml changed. The binary embeds web/dist.
WEB_SRC := $(shell find web/src web/index.html web/vite.config.ts web/tsconfig.json web/package.json -type f -not -name '*.d.ts' 2>/dev/null) api/openapi.yaml

web/node_modules/.package-lock.json: web/package-lock.json web/package.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run build

.PHONY: console
console: web/dist/index.html ## build the web console into web/dist (npm ci when needed)

.PHONY: build
build: console ## build bin/switchyard (with the web console)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/switchyard

.PHONY: run
run: build ## run the service (console at the printed URL, http://127.0.0.1:8080/ by default): embedded SQLite in ./data, local Asterisk 22 brought up unless SWITCHYARD_ARI_URL is set; on a fresh ./data it prints a first owner/operator login with a one-time password; SWITCHYARD_SMS=kannel also starts the project's Kannel (fake SMSC) for SMS
	@set -e; \
	if [ -z "$$SWITCHYARD_ARI_URL" ]; then \
	  eval "$$(asterisk-conf/local/up.sh | sed 's/^/export /')"; \
	fi; \
	if [ "$$SWITCHYARD_SMS" = kannel ] && [ -z "$$SWITCHYARD_KANNEL_URL" ]; then \
	  .ci/ensure-kannel.sh; \
	  eval "$$(asterisk-conf/kannel/up.sh | sed 's/^/export /')"; \
	fi; \
	exec ./$(BIN) serve

.PHONY: test
test: ## run every test: unit, store on SQLite and Postgres, real-Asterisk integration (installs what it needs)
	@.ci/test.sh

.PHONY: test-faults
test-faults: ## fault tests: 100 calls each through PostgreSQL stopped 8 s, Asterisk core restart, ARI cut, kill -9 (private instances; counted by an ARI observer)
	@.ci/faults.sh

.PHONY: test-short
test-short: ## unit tests only (no Asterisk, no Postgres, no load tests)
	$(GO) test -short -count=1 $(PKGS)

.PHONY: bench
bench: ## benchmarks, including the real-Asterisk call-rate and product-path benchmarks (figures printed at the end)
	@.ci/bench.sh

.PHONY: screenshots
screenshots: console ## run the console browser tests and save their screenshots in docs/screenshots (needs the local Asterisk and chromium)
	@.ci/ensure-chromium.sh
	@eval "$$(asterisk-conf/local/up.sh | sed 's/^/export /')"; \
	SWITCHYARD_SCREENSHOTS=docs/screenshots $(GO) test -count=1 -run '^TestConsole(InBrowser|ResetAndInviteInBrowser|FieldErrorsInBrowser|OperatorInBrowser|AdminScreensInBrowser|TransactionalInBrowser|WallboardInBrowser)$$|^TestAgentDeskWebRTCInBrowser$$|^TestFlowEditorInBrowser$$' ./cmd/app/

.PHONY: graph
graph: ## regenerate the README's package graph from the code (TestReadmePackageGraph checks it)
	$(GO) test -count=1 -run '^TestReadmePackageGraph$$' -update-readme .

.PHONY: lint
lint: ## go vet + staticcheck + gofmt check (the fault tests' build tag included)
	$(GO) vet -tags faults $(PKGS)
	$(GO) run $(STATICCHECK) -tags faults $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

.PHONY: asterisk
asterisk: ## bring up the local Asterisk 22 (Debian sid chroot, cached outside the clone); reuses one already answering
	@asterisk-conf/local/up.sh

.PHONY: asterisk-down
asterisk-down: ## stop the local Asterisk
	@asterisk-conf/local/down.sh

.PHONY: kannel
kannel: ## bring up the project's Kannel (bearerbox, smsbox, fake SMSC; installs the Debian packages when missing); prints its SWITCHYARD_KANNEL_* settings
	@.ci/ensure-kannel.sh
	@asterisk-conf/kannel/up.sh

.PHONY: kannel-down
kannel-down: ## stop the project's Kannel
	@asterisk-conf/kannel/down.sh

.PHONY: postgres
postgres: ## make sure a local PostgreSQL answers on 127.0.0.1:5432 (installs it on a fresh machine)
	@.ci/ensure-postgres.sh

.PHONY: fuzz
fuzz: ## run each fuzz test for 20 s
	@for p in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$p/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "== $$p $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 20s $$p || exit 1; \
	  done; done

.PHONY: clean
clean: ## remove build output (and the console build)
	rm -rf bin
	find web/dist -mindepth 1 ! -name .keep -exec rm -rf {} +

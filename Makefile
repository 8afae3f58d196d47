# Sourcedesk. The two commands a fresh machine needs: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
export PATH := $(PATH):/usr/local/go/bin
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
VENDOR := web/static/vendor/htmx.min.js web/static/vendor/pico.min.css
FUZZTIME ?= 10s

.PHONY: run test deps assets generate check-generated vet fuzz bench build docker clean

## run: the console in demo mode (embedded sandbox tenant) on http://127.0.0.1:8080
run: assets
	$(GO) run -ldflags '$(LDFLAGS)' ./cmd/server

## test: installs what the tests need (scripts/deps.sh), checks generated code and formatting, runs
## every test with -race and every go vet analyzer, fuzzes every target for FUZZTIME, and ends with
## "N passed, N failed, N skipped". SKIP_BROWSER=1, SKIP_REDIS=1, SKIP_POSTGRES=1 opt out of those tests.
test: export TEST_STARTED := $(shell date +%s)
test: deps assets check-generated
	@FUZZTIME=$(FUZZTIME) scripts/test.sh

## deps: the Debian packages the tests need (installed as root; otherwise the command to run)
deps:
	@scripts/deps.sh

## assets: npm packages (pinned in web/static/package-lock.json) copied into web/static/vendor;
## axe-core (a dev dependency) stays in node_modules: the browser tests inject it, users never get it
assets: $(VENDOR)
$(VENDOR) &: web/static/package-lock.json
	cd web/static && { [ -d node_modules/htmx.org ] && [ -d node_modules/axe-core ] || npm ci --no-audit --no-fund; }
	cp web/static/node_modules/htmx.org/dist/htmx.min.js web/static/vendor/
	cp web/static/node_modules/@picocss/pico/css/pico.min.css web/static/vendor/
	touch $(VENDOR)

## generate: templ components → *_templ.go (committed)
generate:
	$(GO) tool templ generate

check-generated:
	@$(GO) tool templ generate -log-level warn
	@stale=$$(git status --porcelain -- '*_templ.go'); if [ -n "$$stale" ]; then \
	  echo "templ output is not current; run 'make generate' and commit:"; echo "$$stale"; exit 1; fi
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; git ls-files -z '*.templ' | xargs -0 cp --parents -t "$$tmp"; \
	  $(GO) tool templ fmt -log-level warn "$$tmp" || exit 1; bad=0; \
	  for f in $$(git ls-files '*.templ'); do cmp -s "$$f" "$$tmp/$$f" || { echo "templ fmt would change $$f"; bad=1; }; done; exit $$bad
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi

vet:
	$(GO) vet ./...

## fuzz: every fuzz target for FUZZTIME each, one after the other (make test runs them after the tests)
fuzz:
	@bin=$$(mktemp -d); scripts/fuzz.sh run "$$bin" $(FUZZTIME); status=$$?; rm -rf "$$bin"; exit $$status

## bench: the benchmark report (see bench/README.md)
bench: assets
	$(GO) run ./bench

## build: a static binary in bin/
build: assets
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/sourcedesk ./cmd/server

## docker: the container image (needs a Docker engine)
docker:
	docker build --build-arg VERSION=$(VERSION) -t sourcedesk:$(VERSION) .

clean:
	rm -rf bin web/static/vendor/*.js web/static/vendor/*.css

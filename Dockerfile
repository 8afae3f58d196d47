# Same steps as the Makefile's `assets` and `build` (CI runs those; no Docker engine runs there).
FROM node:20-bookworm-slim AS assets
WORKDIR /src/web/static
COPY web/static/package.json web/static/package-lock.json ./
RUN npm ci --no-audit --no-fund
RUN mkdir -p vendor && cp node_modules/htmx.org/dist/htmx.min.js node_modules/@picocss/pico/css/pico.min.css vendor/

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=assets /src/web/static/vendor/ web/static/vendor/
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/sourcedesk ./cmd/server \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sourcedesk /sourcedesk
COPY --from=build --chown=nonroot:nonroot /out/data /data
WORKDIR /
# In a container the console listens on all interfaces, so PUBLIC_URL must say where browsers
# reach it: http://localhost:8080 for a demo on this machine (plain http is allowed on loopback
# only), https://… behind a TLS proxy. In demo mode the sandbox tenant is served on the same
# port, under /sandbox. Health: GET /healthz (liveness), GET /readyz (readiness).
ENV ADDR=0.0.0.0:8080 SESSION_STORE=file:/data/sessions.db
EXPOSE 8080
# No shell or curl in the image: the binary asks its own /readyz.
HEALTHCHECK --interval=15s --timeout=6s --start-period=20s CMD ["/sourcedesk", "healthcheck"]
USER nonroot:nonroot
ENTRYPOINT ["/sourcedesk"]

# syntax=docker/dockerfile:1
# scan445 as a container: a static binary on a distroless base, run as a non-root user.
#
#   docker build -t scan445 --build-arg VERSION=$(git describe --tags --always) .
#   docker run --rm --cap-drop ALL -v "$PWD/out:/out" scan445 \
#     scan 10.0.0.0/24 --fail-on exposed --json /out/report.json --html /out/report.html
#
# The scan uses ordinary TCP connections (no raw sockets), so the container needs no
# capability at all; /out must be writable by uid 65532.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/scan445 ./cmd/scan445

# distroless/static: no shell, no package manager; its "nonroot" user is 65532.
FROM gcr.io/distroless/static-debian12:nonroot AS runtime
LABEL org.opencontainers.image.title="scan445" \
      org.opencontainers.image.description="finds hosts exposed to MS08-067 and infected by Conficker over SMB, without harming them"
COPY --from=build /out/scan445 /usr/local/bin/scan445
USER 65532:65532
WORKDIR /out
ENTRYPOINT ["/usr/local/bin/scan445"]
CMD ["--help"]

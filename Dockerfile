# Build stage: Swift toolchain plus the libpq headers CLibPQ compiles against.
FROM swift:6.2-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The manifest names the test targets too, so the whole package is copied (.dockerignore trims it).
COPY . .
RUN swift build -c release --static-swift-stdlib --product wysc \
 && install -D "$(swift build -c release --show-bin-path)/wysc" /out/wysc

# Run stage: the binary, libpq, curl for the healthcheck and msmtp, the mail command notifications
# go through (configured by a mounted /etc/msmtprc). TLS for the remote CLI is built into the binary.
# Migrations, the demo's data and the OpenAPI document are built into the binary.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 curl ca-certificates tzdata msmtp \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin wysc
COPY --from=build /out/wysc /usr/local/bin/wysc
USER wysc
EXPOSE 8080
ENTRYPOINT ["wysc"]
CMD ["--help"]

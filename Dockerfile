# Frontdesk's deployable unit: the release binary and its browser bundle on a small Debian,
# run as an unprivileged user.
#   docker build -t frontdesk .
#   docker run -p 3000:3000 -v frontdesk-data:/app/data \
#     -e FRONTDESK_ADMIN_EMAIL=… -e FRONTDESK_ADMIN_PASSWORD=… frontdesk
# Settings come from the environment (the README's configuration table); no Leptos.toml is
# copied, so the defaults hold where nothing is set.

# The Rust release the project is built and tested with (cargo-leptos 0.3.10 builds on it).
FROM rust:1.95-bookworm AS builder
# npm for binaryen's wasm-opt (scripts/release installs it into .tools/).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The build tools first, in their own layer: a source change does not reinstall them.
COPY scripts/setup scripts/setup
RUN scripts/setup
COPY . .
# Cargo's downloads and the target dir are kept between image builds; the result is copied
# out of the cache into the image layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    scripts/release \
 && cp -r target/release-dist /dist

FROM debian:bookworm-slim
# ca-certificates: the WhatsApp and Gemini APIs are called over HTTPS.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin frontdesk \
 && mkdir -p /app/data \
 && chown frontdesk /app/data
WORKDIR /app
COPY --from=builder /dist/frontdesk /app/frontdesk
COPY --from=builder /dist/site /app/site
# Migrations and message catalogs are built into the binary. SQLite's default database lives
# in /app/data (a volume); set DATABASE_URL=postgres://… to use PostgreSQL instead.
ENV LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_ENV=PROD \
    LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    DATABASE_URL=sqlite://data/frontdesk.db
VOLUME /app/data
USER frontdesk
EXPOSE 3000
# bash's /dev/tcp instead of installing curl: 200 while the database answers, else 503.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD \
  ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/3000 && printf 'GET /api/health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r _ status _ <&3 && [ \"$status\" = 200 ]"]
# SIGTERM (docker stop) lets running jobs finish within SCHEDULER_SHUTDOWN_GRACE_SECONDS.
STOPSIGNAL SIGTERM
CMD ["/app/frontdesk"]

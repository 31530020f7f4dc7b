# A small image of the emulator. Build: docker build -t kms-emulator .
# Run with a volume for durable state:
#   docker run -p 8080:8080 -v kms-data:/data -e KMS_ROOT_KEY="$(cat root.key)" \
#       -e KMS_ADMIN_TOKEN="$(openssl rand -hex 24)" kms-emulator
# It listens on 0.0.0.0, beyond loopback, so the admin API (/_kms/: reset, which also empties
# /data, clock, quotas, faults) refuses changes (403) unless either
#   -e KMS_ADMIN_TOKEN=<token>   and callers send "Authorization: Bearer <token>", or
#   -e KMS_ADMIN_OPEN=true       to let anyone who can reach the port make them (tests in CI).
# Without a token the admin API answers only to localhost, IP addresses and the names in
# KMS_ADMIN_ALLOWED_HOSTS (e.g. -e KMS_ADMIN_ALLOWED_HOSTS=kms for other containers that call it
# by its service name), against DNS rebinding.
# /_kms/health and /metrics stay open.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin kms-emulator

FROM debian:bookworm-slim
COPY --from=build /src/target/release/kms-emulator /usr/local/bin/kms-emulator
ENV KMS_LISTEN=0.0.0.0:8080 \
    KMS_DATA_PATH=/data \
    KMS_ADMIN_OPEN=false
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/kms-emulator"]

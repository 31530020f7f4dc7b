# A small image of the emulator. Build: docker build -t kms-emulator .
# Run with a volume for durable state:
#   docker run -p 8080:8080 -v kms-data:/data -e KMS_ROOT_KEY="$(cat root.key)" kms-emulator
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin kms-emulator

FROM debian:bookworm-slim
COPY --from=build /src/target/release/kms-emulator /usr/local/bin/kms-emulator
ENV KMS_LISTEN=0.0.0.0:8080 \
    KMS_DATA_PATH=/data
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/kms-emulator"]

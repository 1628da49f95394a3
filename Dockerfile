# The service as a container image: a static-enough binary on a slim Debian.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin apo-dashboard

FROM debian:bookworm-slim
RUN useradd --system --home /var/lib/apo apo && mkdir -p /var/lib/apo && chown apo /var/lib/apo
COPY --from=build /src/target/release/apo-dashboard /usr/local/bin/apo-dashboard
USER apo
WORKDIR /var/lib/apo
EXPOSE 8080
ENV APO_ADDR=0.0.0.0:8080
ENTRYPOINT ["apo-dashboard"]
CMD ["serve"]

# The service as a container image: the binary and the built browser dashboard on a slim Debian.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin apo-dashboard

FROM debian:bookworm-slim
RUN useradd --system --home /var/lib/apo apo && mkdir -p /var/lib/apo && chown apo /var/lib/apo
COPY --from=build /src/target/release/apo-dashboard /usr/local/bin/apo-dashboard
COPY --from=frontend /src/frontend/dist /usr/local/share/apo-dashboard/dist
USER apo
WORKDIR /var/lib/apo
EXPOSE 8080
ENV APO_ADDR=0.0.0.0:8080 \
    APO_STATIC_DIR=/usr/local/share/apo-dashboard/dist
ENTRYPOINT ["apo-dashboard"]
CMD ["serve"]

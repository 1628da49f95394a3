# The service as a container image: one binary, with the browser dashboard built into it
# (src/http/site.rs), on a slim Debian.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The release build embeds frontend/dist: it must be there before cargo runs.
COPY --from=frontend /src/frontend/dist frontend/dist
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

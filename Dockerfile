# syntax=docker/dockerfile:1
#
# Arbiter's one binary and the data it reads at run time. BuildKit is needed (cache mounts):
#   docker build -t registry.example.com/arbiter:0.1.0 .
# Roles: `serve` (all-in-one, the default), `matchmaker`, `serve --role game`, `migrate`.

# The exact release rust-toolchain.toml pins. Move the two together: a mismatch still builds, but
# with whatever toolchain the image has.
ARG RUST_VERSION=1.95.0

FROM rust:${RUST_VERSION}-bookworm AS builder
ARG RUST_VERSION
# rust-toolchain.toml also asks for rustfmt and clippy, which a release build does not use. Naming
# the toolchain in the environment takes precedence over the file, so rustup downloads nothing.
ENV RUSTUP_TOOLCHAIN=${RUST_VERSION}
WORKDIR /src
# One COPY of the workspace (.dockerignore keeps target/, .git and fuzz/ out): copying only the
# manifests first does not work for a workspace of seven crates without stub sources. The cache
# mounts keep the crates downloaded and compiled between builds instead.
COPY . .
# target/ is a cache mount, absent from the image: the binary is copied out in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p arbiter --bin arbiter \
 && install -m 0755 target/release/arbiter /usr/local/bin/arbiter

# Same Debian release as the builder, so the glibc the binary was linked against is there. It links
# only libc, libm and libgcc_s (SQLite is compiled in).
FROM debian:bookworm-slim
# ca-certificates: for any TLS peer a deployment adds (today's connections are plain TCP).
# libcap2-bin: setcap, below (and getcap, to check an image).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libcap2-bin \
 && rm -rf /var/lib/apt/lists/*
# A fixed uid/gid, so Kubernetes' runAsUser/fsGroup can name it.
RUN groupadd --system --gid 10001 arbiter \
 && useradd --system --uid 10001 --gid arbiter --home-dir /app --no-create-home arbiter
# The server reads assets/ (maps, weapons, items, shop, rewards) relative to its working directory.
WORKDIR /app
COPY assets/ /app/assets/
# server.data_dir (default arbiter-data, relative): the generated token key and the SQLite file when
# no net.private_key_file or persistence.shards are set. Writable by the server's user.
RUN mkdir /app/arbiter-data && chown arbiter:arbiter /app/arbiter-data
COPY --from=builder /usr/local/bin/arbiter /usr/local/bin/arbiter
# server.tick_realtime and tick_priority_boost need CAP_SYS_NICE, which a non-root user loses when
# the binary starts unless the binary carries it. Permitted only (=p, not =ep): the server raises it
# on the tick's thread for the call that needs it, and a container that does not grant SYS_NICE
# still starts (with =ep its exec would fail). It takes effect where the pod adds SYS_NICE and
# allows privilege escalation (deploy/agones/matchmaker.yaml); tests/tick_capability.rs checks the
# three cases as user 10001.
RUN setcap cap_sys_nice=p /usr/local/bin/arbiter
USER 10001:10001
# Game UDP socket ([server] bind), admin HTTP ([admin] bind), public query HTTP ([query] bind).
# The two HTTP ports listen on loopback unless the config or ARBITER_ADMIN_BIND/ARBITER_QUERY_BIND
# say otherwise.
EXPOSE 5000/udp 8080/tcp 8081/tcp
ENTRYPOINT ["arbiter"]
CMD ["serve"]

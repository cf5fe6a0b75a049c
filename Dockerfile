# syntax=docker/dockerfile:1
# socket-proxy: a Docker socket proxy, as one static-ish binary in a scratch image.
#
#   docker build -t socket-proxy .
#   docker buildx build --platform linux/amd64,linux/arm64 -t socket-proxy .

ARG DENO_VERSION=2.9.6

# Checks and compiles on the build machine's own platform; `deno compile
# --target` cross-compiles, so no emulation is needed for the build itself.
FROM --platform=$BUILDPLATFORM denoland/deno:${DENO_VERSION} AS build
ARG TARGETARCH
# The binary may use only the addresses and directories it is built for (see
# scripts/compile.ts for the defaults). To use others, rebuild with them, e.g.
#   docker build --build-arg LISTEN_GRANTS='[::]:2375,unix:/run/sp/app.sock' .
ARG LISTEN_GRANTS=""
ARG SOCKET_GRANTS=""
ARG CONFIG_DIR_GRANTS=""
WORKDIR /src
COPY deno.json deno.lock main.ts policy.schema.json ./
COPY lib/ lib/
COPY scripts/ scripts/
COPY tests/ tests/
RUN deno task check && deno task test:unit
RUN case "${TARGETARCH}" in \
      amd64) target=x86_64-unknown-linux-gnu ;; \
      arm64) target=aarch64-unknown-linux-gnu ;; \
      *) echo "Deno cannot target linux/${TARGETARCH}" >&2; exit 1 ;; \
    esac \
 && deno task compile --target "${target}" --out /out \
      ${LISTEN_GRANTS:+--listen "$LISTEN_GRANTS"} \
      ${SOCKET_GRANTS:+--socket "$SOCKET_GRANTS"} \
      ${CONFIG_DIR_GRANTS:+--config-dir "$CONFIG_DIR_GRANTS"} \
 && mv /out/socket-proxy-*-linux-* /socket-proxy

# The few shared libraries the binary needs (glibc and friends), found by ldd
# on the target platform.
FROM denoland/deno:${DENO_VERSION} AS rootfs
COPY --from=build /socket-proxy /rootfs/socket-proxy
RUN ldd /rootfs/socket-proxy | grep -o '/[^ ]*' | xargs -I{} cp -L --parents {} /rootfs/ \
 && /rootfs/socket-proxy --version

# Nothing but the binary and its libraries: no shell, no package manager, no CA
# certificates. Read-only friendly: it writes nothing to disk.
FROM scratch
COPY --from=rootfs /rootfs/ /
ENV SOCKET_PATH=/var/run/docker.sock \
    LOG_LEVEL=info \
    DISABLE_IPV6=0 \
    POST=0 \
    ALLOW_START=0 \
    ALLOW_STOP=0 \
    ALLOW_RESTARTS=0 \
    ALLOW_PAUSE=0 \
    ALLOW_UNPAUSE=0 \
    ALLOW_ARCHIVE=0 \
    ALLOW_CHANGES=0 \
    ALLOW_EXPORT=0 \
    ALLOW_LOGS=0 \
    ALLOW_TOP=0 \
    AUTH=0 \
    BUILD=0 \
    COMMIT=0 \
    CONFIGS=0 \
    CONTAINERS=0 \
    DISTRIBUTION=0 \
    EVENTS=1 \
    EXEC=0 \
    GRPC=0 \
    IMAGES=0 \
    INFO=0 \
    NETWORKS=0 \
    NODES=0 \
    PING=1 \
    PLUGINS=0 \
    SECRETS=0 \
    SERVICES=0 \
    SESSION=0 \
    SWARM=0 \
    SYSTEM=0 \
    TASKS=0 \
    VERSION=1 \
    VOLUMES=0
EXPOSE 2375
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/socket-proxy", "healthcheck"]
ENTRYPOINT ["/socket-proxy"]

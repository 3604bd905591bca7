# One image for the nfscope exporter and the 5G testbed/traffic simulator
# (docker-compose.yml runs it twice): `nfscope exporter` by default,
# `nfscope testbed` with another entrypoint. The build stage runs scripts/setup.sh,
# the same script CI runs (.ci/run -> scripts/test.sh -> scripts/setup.sh):
# Debian packages, npm ci, the eBPF objects, the native libbpf binding and the
# TypeScript, built on Debian 12 with Node 20 as on the CI machines. The
# build host's kernel needs no BTF: bpf/vmlinux/<arch>/vmlinux.h is pinned.
FROM node:20-bookworm AS build
WORKDIR /opt/nfscope
COPY . .
RUN bash scripts/setup.sh

# The run stage holds what was built and the shared libraries it links
# (libbpf, libelf, zlib), plus iproute2 for the testbed's namespaces; no
# compilers, no test tools. Paths stay as in the repository: the exporter
# finds bpf/build and its native binding relative to itself.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libbpf1 libelf1 zlib1g iproute2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/nfscope
COPY --from=build /opt/nfscope/package.json ./
COPY --from=build /opt/nfscope/node_modules ./node_modules
COPY --from=build /opt/nfscope/api/package.json ./api/
COPY --from=build /opt/nfscope/api/dist ./api/dist
COPY --from=build /opt/nfscope/cli/package.json ./cli/
COPY --from=build /opt/nfscope/cli/bin ./cli/bin
COPY --from=build /opt/nfscope/cli/dist ./cli/dist
COPY --from=build /opt/nfscope/bpf/build ./bpf/build
COPY --from=build /opt/nfscope/exporter/package.json ./exporter/
COPY --from=build /opt/nfscope/exporter/bin ./exporter/bin
COPY --from=build /opt/nfscope/exporter/dist ./exporter/dist
COPY --from=build /opt/nfscope/exporter/build/Release/nfscope_bpf.node ./exporter/build/Release/
COPY --from=build /opt/nfscope/top/package.json ./top/
COPY --from=build /opt/nfscope/top/dist ./top/dist
COPY --from=build /opt/nfscope/sim/package.json ./sim/
COPY --from=build /opt/nfscope/sim/dist ./sim/dist
EXPOSE 9810
# node takes the heap settings of exporter/src/v8-flags.ts (START_FLAGS) only on its command
# line, and glibc its arena limit (START_ENV) only from the environment at start.
ENV MALLOC_ARENA_MAX=1
ENTRYPOINT ["node", "--max-semi-space-size=4", "/opt/nfscope/cli/bin/nfscope.js", "exporter"]
CMD ["--config", "/etc/nfscope/nfscope.yaml"]

# syntax=docker/dockerfile:1
# Facet's bot image: multi-stage build on Node 26 (Debian trixie). Always the current node:26 tag — never a
# pinned older patch (26.12.1 fixed four High CVEs in October 2026). The dashboard has its own image:
# deploy/dashboard/Dockerfile (same build context, the repository root).

FROM node:26-trixie-slim AS build
WORKDIR /app
# The dashboard is an npm workspace: its manifest must be there for `npm ci` (its packages are all dev-only).
COPY package.json package-lock.json ./
COPY dashboard/package.json ./dashboard/
# The image already has Node 26: skip the `node` devDependency's download script (esbuild ships its binary
# in a platform package, so it needs no script either).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsup.config.ts ./
COPY src ./src
COPY migrations ./migrations
RUN npx tsup

FROM node:26-trixie-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY dashboard/package.json ./dashboard/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:26-trixie-slim AS runtime
# Node 25+ Linux binaries link against libatomic.
RUN apt-get update && apt-get install -y --no-install-recommends libatomic1 && rm -rf /var/lib/apt/lists/*
# A young generation capped at 4 MiB semi-spaces (Node's default is tens of MiB): with the compaction after start it
# costs nothing at one guild (124 MiB RSS, as with 1 MiB) and about 6 MiB at 1,000 guilds, and starts 1,000 guilds
# about 100 ms sooner than 1 MiB, which scavenges through every GUILD_CREATE (docs/benchmarks.md, "Memory levers").
# A host can set NODE_OPTIONS to drop or raise it.
ENV NODE_ENV=production LOG_FORMAT=json API_HOST=0.0.0.0 API_PORT=8787 DATA_DIR=/app/data NODE_OPTIONS=--max-semi-space-size=4
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8787
# Migrations: `node dist/migrate.js` is the one-shot step (compose's `migrate` service, a Coolify pre-deploy
# command). The start applies pending ones too unless MIGRATE_ON_START=false, when it refuses to start while any
# is pending.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
	CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.API_PORT||8787)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]

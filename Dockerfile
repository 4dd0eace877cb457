# One image for both programs: `ecr-anywhere webhook` (the chart's Deployment) and `ecr-anywhere refresh` (its
# CronJob). Multi-stage: the runtime image holds Node, the compiled JavaScript and production dependencies only.
#
#   docker build -t ecr-anywhere:dev .
#   docker run --rm --read-only -e AWS_REGION=us-east-1 ecr-anywhere:dev webhook --help

# Current Node.js LTS.
ARG NODE_MAJOR=24

# ---- build: compile TypeScript with the dev dependencies (typescript, @types/*)
FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

# ---- deps: production dependencies only, in their own layer (it changes only with the lockfile)
FROM node:${NODE_MAJOR}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime: distroless (no shell, no package manager), non-root, nothing written outside /tmp
FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# package.json carries "type": "module", which Node needs to load dist/ as ES modules.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# Numeric, so the kubelet can verify runAsNonRoot; the chart sets the same UID/GID.
USER 65532:65532
EXPOSE 8443 8080
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/src/cli.js"]
CMD ["--help"]

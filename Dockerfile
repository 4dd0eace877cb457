# One image for both programs: `ecr-anywhere webhook` (the chart's Deployment) and `ecr-anywhere refresh` (its
# CronJob). Multi-stage: the runtime image holds Node and the bundled CLI only.
#
#   docker build -t ecr-anywhere:dev .
#   docker run --rm --read-only -e AWS_REGION=us-east-1 ecr-anywhere:dev webhook --help

# Current Node.js LTS.
ARG NODE_MAJOR=24

# ---- build: compile TypeScript and bundle it with the dev dependencies (typescript, esbuild, @types/*)
FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY build ./build
# dist/bundle: the CLI and one chunk per program, with every dependency inside (build/bundle.ts says why).
RUN npx tsc -p tsconfig.json && node dist/build/bundle.js

# ---- runtime: distroless (no shell, no package manager), non-root, nothing written outside /tmp; no node_modules:
# the bundle holds the production dependencies, tree-shaken
FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/dist/bundle ./dist/bundle
# Numeric, so the kubelet can verify runAsNonRoot; the chart sets the same UID/GID.
USER 65532:65532
EXPOSE 8443 8080
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/bundle/cli.mjs"]
CMD ["--help"]

# syntax=docker/dockerfile:1
# meshguard: build with dev dependencies, run with production dependencies, the compiled code and the schemas only.
#
#   docker build -t <registry>/meshguard:<version> .
#
# No Docker engine runs in this project's CI, so scripts/runtime-stage-check.mjs reproduces the runtime stage: it
# reads this file's COPY, RUN npm ci, ENV, USER, ENTRYPOINT and CMD lines of the last stage, repeats them in a temporary
# folder and starts the server from it. Keep those lines simple (one source per COPY, exec-form ENTRYPOINT and CMD)
# so it can.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the build needs none (tsc and the schema generator are plain JavaScript), and some dev tools
# would try to compile native code the slim image has no compiler for.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build
# V8 takes a code cache only under the options it was made with: write the generated modules' caches again under the
# runtime stage's NODE_OPTIONS and ENTRYPOINT flags (keep them equal; test/chart/runtime-stage.test.ts checks).
RUN NODE_OPTIONS=--max-semi-space-size=2 node --no-memory-reducer scripts/write-code-caches.mjs --current-only

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# A small young generation: a review's garbage dies within the request, so V8's default (semi-spaces growing to 16 MiB,
# 48 MiB of young generation) buys little. At 2 MiB, peak RSS under the bench's load falls from ~147 to ~108 MiB for
# about 4% more CPU per review (npm run bench, https section, which starts meshguard with this environment).
ENV NODE_OPTIONS=--max-semi-space-size=2
WORKDIR /app
COPY package.json ./package.json
COPY package-lock.json ./package-lock.json
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/schemas ./schemas
# Only for `meshguard explain`, which prints the policies' READMEs.
COPY --from=build /app/policies ./policies
# The chart mounts the serving certificate's Secret here; without it the server refuses to start rather than
# inventing a development certificate.
ENV MESHGUARD_TLS_CERT=/etc/meshguard/tls/tls.crt
ENV MESHGUARD_TLS_KEY=/etc/meshguard/tls/tls.key
# Any numeric non-root user works (nothing is written at run time); 65532 is the chart's runAsUser.
USER 65532:65532
EXPOSE 8443 9090
# --no-memory-reducer: V8's memory reducer runs full collections once the process is idle, and the reviews after an
# idle spell then ran ~25% slower for ~10 s (npm run bench, https section, rounds that follow an idle spell). A
# webhook's traffic is idle spells and bursts; its heap is small and bounded (docs/operations.md, Memory).
ENTRYPOINT ["node", "--no-memory-reducer", "dist/src/cli/main.js"]
CMD ["serve"]

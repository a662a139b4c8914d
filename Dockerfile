# The provider's image: the compiled provider (dist/), its production dependencies, the renderer of custom
# HAProxy templates and the operator CLI, on Node 20. NODE_IMAGE is the base of the Node stages, GO_IMAGE the
# renderer's: the official images unless the build names others (`bash scripts/stack.sh node-image` and
# `go-image` make them from this machine's Node and Go where those cannot be pulled).
#
# Build steps are the ones the README's "Build and run without Docker" gives:
#   npm ci && npm run build && npm run build:haproxy-template && node dist/main.js all
#
# The provider (worker and watcher, `all`) creates the load-balancer containers through the Docker engine, so
# the container needs the engine's socket, and the (non-root) user needs the socket's group:
#   docker run -v /var/run/docker.sock:/var/run/docker.sock \
#     --group-add "$(stat -c %g /var/run/docker.sock)" -v "$HOME/.kube/config:/kube/config:ro" \
#     -e KUBECONFIG=/kube/config -e TEMPORAL_ADDRESS=temporal.example:7233 capd-temporal all
# Access to the Docker socket is access to the host as root: run the image only where that is intended.
ARG NODE_IMAGE=node:20-bookworm-slim
ARG GO_IMAGE=golang:1.26-bookworm

FROM ${GO_IMAGE} AS haproxy-template
WORKDIR /app
COPY scripts/build-haproxy-template.sh ./scripts/
COPY src/haproxy-template ./src/haproxy-template
RUN sh scripts/build-haproxy-template.sh

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=haproxy-template /app/dist/haproxy-template ./dist/haproxy-template
# The operator CLI, on PATH: docker exec <container> capd-temporal status
COPY bin ./bin
RUN ln -s /app/bin/capd-temporal.js /usr/local/bin/capd-temporal
# The image's unprivileged user (uid 1000); the files it runs stay owned by root.
USER node
ENTRYPOINT ["node", "dist/main.js"]
CMD ["all"]

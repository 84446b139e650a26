# syntax=docker/dockerfile:1
# CLAIIM gateway image. Build: docker build -t claiim .
# Run:   docker run --rm -p 8443:8443 -v $PWD/claiim.yaml:/etc/claiim/claiim.yaml:ro \
#          -v claiim-data:/var/lib/claiim -e GITHUB_TOKEN claiim start --config /etc/claiim/claiim.yaml

# ---- build: compile TypeScript and the native better-sqlite3 addon ----
FROM node:24-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY gateway ./gateway
COPY rules ./rules
COPY chron ./chron
COPY bench ./bench
COPY test ./test
RUN npm run build && npm prune --omit=dev

# ---- runtime: no compilers, no dev dependencies, non-root ----
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY gateway/demo/claiim.demo.yaml ./gateway/demo/claiim.demo.yaml
RUN mkdir -p /var/lib/claiim && chown node:node /var/lib/claiim
USER node
VOLUME ["/var/lib/claiim"]
EXPOSE 8443 9443
# /healthz is on the admin listener (loopback inside the container by default).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:9443/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "/app/dist/gateway/bin.js"]
CMD ["--help"]

#!/usr/bin/env bash
# Makes development / test TLS material with openssl (see certs/README.md):
#   ca.crt ca.key                 a dev CA (EC P-256, 10 years)
#   server.crt server.key         server cert for localhost, 127.0.0.1, ::1 signed by the CA (825 days)
#   client-<id>.crt client-<id>.key   with --client <id>: a client cert whose SAN is
#                                 URI:spiffe://claiim.local/agent/<id> (repeatable)
# Usage: certs/make-dev-certs.sh [--force] [--client AGENT_ID]... [OUT_DIR]
# OUT_DIR defaults to certs/generated/ beside this script. Existing files are kept unless --force.
# Private keys are written with mode 0600. Never use this material in production.
set -euo pipefail

usage() { echo "usage: $0 [--force] [--client AGENT_ID]... [OUT_DIR]" >&2; exit 2; }

force=0
clients=()
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1; shift ;;
    --client)
      [ $# -ge 2 ] || usage
      # An agent id becomes part of a URI and a file name: keep it to a safe alphabet.
      [[ "$2" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ ]] || { echo "$0: agent id must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}" >&2; exit 2; }
      clients+=("$2"); shift 2 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) [ -z "$out" ] || usage; out="$1"; shift ;;
  esac
done
[ -n "$out" ] || out="$(cd "$(dirname "$0")" && pwd)/generated"
trust_domain="${CLAIIM_TRUST_DOMAIN:-claiim.local}"

command -v openssl >/dev/null || { echo "$0: openssl not found" >&2; exit 1; }
mkdir -p "$out"
umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# new_key FILE: an EC P-256 private key, mode 0600.
new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }

# issue NAME SUBJECT EXTFILE: NAME.key + NAME.crt signed by the CA, unless both exist (and no --force).
issue() {
  local name="$1" subject="$2" ext="$3"
  if [ "$force" -eq 0 ] && [ -s "$out/$name.crt" ] && [ -s "$out/$name.key" ]; then
    echo "kept    $out/$name.crt"; return
  fi
  new_key "$tmp/$name.key"
  openssl req -new -key "$tmp/$name.key" -subj "$subject" -out "$tmp/$name.csr" 2>/dev/null
  openssl x509 -req -in "$tmp/$name.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
    -CAserial "$tmp/ca.srl" -days 825 -sha256 -extfile "$ext" -out "$tmp/$name.crt" 2>/dev/null
  chmod 644 "$tmp/$name.crt"
  # Move into place key first, cert last: a watcher that sees the new cert also finds its key.
  mv -f "$tmp/$name.key" "$out/$name.key"
  mv -f "$tmp/$name.crt" "$out/$name.crt"
  echo "wrote   $out/$name.crt"
}

ca_new=0
if [ "$force" -eq 1 ] || [ ! -s "$out/ca.crt" ] || [ ! -s "$out/ca.key" ]; then
  new_key "$tmp/ca.key"
  openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days 3650 -subj "/CN=CLAIIM dev CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$tmp/ca.crt" 2>/dev/null
  chmod 644 "$tmp/ca.crt"
  mv -f "$tmp/ca.key" "$out/ca.key"
  mv -f "$tmp/ca.crt" "$out/ca.crt"
  ca_new=1
  echo "wrote   $out/ca.crt"
else
  echo "kept    $out/ca.crt"
fi
# A new CA invalidates every leaf signed by the old one.
[ "$ca_new" -eq 0 ] || force=1

cat > "$tmp/server.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EOF
issue server "/CN=localhost" "$tmp/server.ext"

for id in "${clients[@]+"${clients[@]}"}"; do
  cat > "$tmp/client-$id.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
subjectAltName=URI:spiffe://$trust_domain/agent/$id
EOF
  issue "client-$id" "/CN=$id" "$tmp/client-$id.ext"
done

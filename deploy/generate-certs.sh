#!/usr/bin/env bash
# TLS for the plain manifests (deploy/meshguard.yaml), which carry no key material: this script makes a CA and a
# serving certificate with openssl, stores them in the Secret the pods mount, and puts the CA into the webhook
# configuration's caBundle. Keys never touch the repository: they live in a temporary folder deleted on exit.
#
# Install (the namespace, the Secret, the manifests, the caBundle, in that order):
#   deploy/generate-certs.sh --apply deploy/meshguard.yaml
# After re-applying the manifests, or to repair the caBundle, run it again: an existing Secret is reused, so the CA
# never changes behind the API server's back. To rotate, add --rotate (new CA and certificate, then the pods restart).
#
# Options:
#   --namespace NAME   namespace of meshguard (default meshguard)
#   --service NAME     Service name, and the name of the webhook configuration (default meshguard)
#   --secret NAME      Secret the pods mount (default meshguard-tls)
#   --days N           validity of the CA and the certificate (default 3650)
#   --apply FILE       kubectl apply FILE after the Secret exists and before patching the caBundle
#   --rotate           generate new certificates even if the Secret exists, and restart the pods
#   --out DIR          only write ca.crt, tls.crt and tls.key into DIR; no cluster access
# Environment: KUBECTL (default kubectl), OPENSSL (default openssl).
set -euo pipefail

namespace=meshguard
service=meshguard
secret=meshguard-tls
days=3650
apply_file=""
rotate=false
out_dir=""
kubectl=${KUBECTL:-kubectl}
openssl=${OPENSSL:-openssl}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) namespace=$2; shift 2 ;;
    --service) service=$2; shift 2 ;;
    --secret) secret=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --apply) apply_file=$2; shift 2 ;;
    --rotate) rotate=true; shift ;;
    --out) out_dir=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "generate-certs.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

b64() { base64 < "$1" | tr -d '\n'; }
log() { echo "generate-certs.sh: $*" >&2; }

generate() {
  local dns="DNS:${service},DNS:${service}.${namespace},DNS:${service}.${namespace}.svc,DNS:${service}.${namespace}.svc.cluster.local"
  "$openssl" ecparam -name prime256v1 -genkey -noout -out "$work/ca.key" 2>/dev/null
  "$openssl" req -x509 -new -key "$work/ca.key" -sha256 -days "$days" -subj "/CN=${service}-webhook-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$work/ca.crt" 2>/dev/null
  "$openssl" ecparam -name prime256v1 -genkey -noout -out "$work/tls.key.ec" 2>/dev/null
  # PKCS#8, the form Node and every TLS stack read.
  "$openssl" pkcs8 -topk8 -nocrypt -in "$work/tls.key.ec" -out "$work/tls.key"
  "$openssl" req -new -key "$work/tls.key" -subj "/CN=${service}.${namespace}.svc" -out "$work/tls.csr" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$dns" > "$work/ext.cnf"
  "$openssl" x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days "$days" -sha256 \
    -extfile "$work/ext.cnf" -out "$work/tls.crt" 2>/dev/null
  # The CA key is not kept: renewing means a new CA (--rotate), so nothing can sign for meshguard later.
  rm -f "$work/ca.key" "$work/tls.key.ec" "$work/tls.csr" "$work/ext.cnf" "$work/ca.srl"
}

if [ -n "$out_dir" ]; then
  generate
  mkdir -p "$out_dir"
  cp "$work/ca.crt" "$work/tls.crt" "$work/tls.key" "$out_dir/"
  log "wrote ca.crt, tls.crt and tls.key into $out_dir"
  exit 0
fi

secret_key() { "$kubectl" -n "$namespace" get secret "$secret" -o "jsonpath={.data.${1//./\\.}}" 2>/dev/null || true; }

reused=false
if [ "$rotate" = false ]; then
  ca=$(secret_key ca.crt); crt=$(secret_key tls.crt); key=$(secret_key tls.key)
  if [ -n "$ca" ] && [ -n "$crt" ] && [ -n "$key" ]; then
    printf '%s' "$ca" | base64 -d > "$work/ca.crt"
    reused=true
    log "reusing the certificate in Secret $namespace/$secret"
  fi
fi
if [ "$reused" = false ]; then
  generate
  log "generated a CA and a serving certificate for ${service}.${namespace}.svc, valid $days days"
  "$kubectl" create namespace "$namespace" --dry-run=client -o yaml | "$kubectl" apply -f - >/dev/null
  cat <<EOF | "$kubectl" apply -f - >/dev/null
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata:
  name: ${secret}
  namespace: ${namespace}
  labels:
    app.kubernetes.io/name: meshguard
    app.kubernetes.io/part-of: meshguard
data:
  ca.crt: $(b64 "$work/ca.crt")
  tls.crt: $(b64 "$work/tls.crt")
  tls.key: $(b64 "$work/tls.key")
EOF
  log "stored it in Secret $namespace/$secret"
fi

if [ -n "$apply_file" ]; then
  "$kubectl" apply -f "$apply_file"
fi

if "$kubectl" get validatingwebhookconfiguration "$service" >/dev/null 2>&1; then
  "$kubectl" patch validatingwebhookconfiguration "$service" --type=json \
    -p "[{\"op\":\"add\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$(b64 "$work/ca.crt")\"}]" >/dev/null
  log "caBundle of validatingwebhookconfiguration/$service set to the CA of $namespace/$secret"
else
  log "validatingwebhookconfiguration/$service does not exist yet: apply the manifests, then run this again"
fi

if [ "$rotate" = true ]; then
  "$kubectl" -n "$namespace" rollout restart "deployment/$service" >/dev/null && log "restarting deployment/$service"
fi

#!/usr/bin/env bash
# A local CUSTOM-JWT issuer for load tests: an RSA key pair, a namespace file that trusts it, and RS256 tokens
# signed with it (the recipe of README "HTTP publish", nothing faked: the broker verifies signature, issuer,
# audience and validity as for any other token).
#
#   load-tests/scripts/token-issuer.sh DIR [SUBJECT ...]
#
# Writes into DIR: issuer.key, issuer.pub, namespace.yaml and, per SUBJECT (default: http-backend
# http-reader), SUBJECT.token, valid for LOAD_TOKEN_SECONDS (default 7200). The namespace lets every
# identity publish to and subscribe to loadtest/# (the topics of the simulations), with up to 100 sessions
# per authentication name (several simulated subscribers share one identity).
set -euo pipefail

dir=${1:?usage: $0 DIR [SUBJECT ...]}
shift
subjects=("$@")
[ ${#subjects[@]} -gt 0 ] || subjects=(http-backend http-reader)

issuer=https://loadtest-issuer.mqttgrid.local
audience=loadtest.mqttgrid.local
kid=loadtest-key1
validity=${LOAD_TOKEN_SECONDS:-7200}

mkdir -p "$dir"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/issuer.key" 2>/dev/null
chmod 600 "$dir/issuer.key"
openssl pkey -in "$dir/issuer.key" -pubout -out "$dir/issuer.pub"

cat >"$dir/namespace.yaml" <<YAML
settings:
  hostname: $audience                    # the audience tokens must name
  maximumClientSessionsPerAuthenticationName: 100
  clientAuthentication:
    customJwtAuthentication:
      tokenIssuer: $issuer
      encodedIssuerCertificates:
        - kid: $kid
          encodedCertificate: |
$(sed 's/^/            /' "$dir/issuer.pub")
topicSpaces:
  loadtest: { topicTemplates: ["loadtest/#"] }
permissionBindings:
  loadtest-publish: { clientGroupName: \$all, topicSpaceName: loadtest, permission: Publisher }
  loadtest-subscribe: { clientGroupName: \$all, topicSpaceName: loadtest, permission: Subscriber }
YAML

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
header=$(printf '{"alg":"RS256","typ":"JWT","kid":"%s"}' "$kid" | b64url)
for subject in "${subjects[@]}"; do
  claims=$(printf '{"iss":"%s","sub":"%s","aud":"%s","iat":%d,"nbf":%d,"exp":%d}' \
    "$issuer" "$subject" "$audience" "$now" $((now - 60)) $((now + validity)) | b64url)
  signature=$(printf '%s.%s' "$header" "$claims" | openssl dgst -sha256 -sign "$dir/issuer.key" | b64url)
  printf '%s.%s.%s' "$header" "$claims" "$signature" >"$dir/$subject.token"
  chmod 600 "$dir/$subject.token"
done

#!/usr/bin/env bash
# What authentication and authorization cost on one MQTT Grid node: connects per second with X.509 client
# certificates (CA chain), with CUSTOM-JWT tokens, and anonymous (plain TCP and TLS) for comparison; then
# one-publisher-to-one-subscriber throughput, QoS 0 and 1, for clients the namespace model authorizes on every
# publish (X.509 and JWT) against anonymous loopback clients the model does not check, all over TLS.
#
#   load-tests/scripts/auth-benchmark.sh
#   CONCURRENT=20 DURATION=10 ROUNDS=3 MESSAGES=200000 CERTS=20 load-tests/scripts/auth-benchmark.sh
#
# CONCURRENT devices at a time connect and disconnect back to back for DURATION seconds per connect run
# (AuthConnectStormSimulation with -Dconcurrent); MESSAGES per throughput run; every run ROUNDS times, the
# kinds interleaved and the order reversed every other round, since other work on a shared machine comes and
# goes (the load average at the start of each run is printed too); CERTS client certificates
# (CN bench-x509-<n>, one registered client each, up to 100 sessions per authentication name). Needs openssl and
# the broker jar (built here if missing). Everything it makes (certificates, keys, tokens, namespace file, logs)
# goes to a temporary directory printed at the end; the broker listens on loopback only (TCP 22883, TLS 22884).
set -euo pipefail
cd "$(dirname "$0")/../.."
concurrent=${CONCURRENT:-20}
duration=${DURATION:-10}
rounds=${ROUNDS:-3}
messages=${MESSAGES:-200000}
certs=${CERTS:-20}
tcp_port=22883
tls_port=22884
hostname=mqtt.bench.local
issuer=https://issuer.bench.local

command -v openssl >/dev/null || { echo "openssl is not installed" >&2; exit 2; }
[ -f target/mqttgrid.jar ] || mvn -B -q -DskipTests package
mvn -B -q -Dstyle.color=never -f load-tests/pom.xml test-compile

work=$(mktemp -d)
grid_pid=
trap '[ -n "$grid_pid" ] && kill $grid_pid 2>/dev/null; wait 2>/dev/null; echo "files and logs: $work"' EXIT

# ---- certificates and keys
# the server: RSA 2048, self-signed, naming 127.0.0.1 (clients verify the host)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/server.key" -out "$work/server.crt" -days 2 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
# the device CA and one certificate per registered client (EC P-256)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ca.key" -out "$work/ca.crt" \
  -days 2 -subj "/CN=Bench Device CA" -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$work/client.ext"
mkdir "$work/x509"
for ((i = 0; i < certs; i++)); do
  name=bench-x509-$i
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/x509/$name.key" 2>/dev/null
  openssl req -new -key "$work/x509/$name.key" -subj "/CN=$name" \
    | openssl x509 -req -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
      -extfile "$work/client.ext" -out "$work/x509/$name.crt" 2>/dev/null
done
# the token issuer: an RS256 key; the broker gets the public half
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/jwt.key" 2>/dev/null
openssl pkey -in "$work/jwt.key" -pubout -out "$work/jwt.pub"

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# one token made with openssl alone (the connect storm signs its own with io.mqttgrid.load.auth.JwtSigner)
jwt_for() { # subject
  local now header claims
  now=$(date +%s)
  header=$(printf '{"alg":"RS256","typ":"JWT","kid":"bench-key"}' | b64url)
  claims=$(printf '{"iss":"%s","sub":"%s","aud":"%s","iat":%d,"nbf":%d,"exp":%d}' \
    "$issuer" "$1" "$hostname" "$now" $((now - 60)) $((now + 3600)) | b64url)
  printf '%s.%s.%s' "$header" "$claims" \
    "$(printf '%s.%s' "$header" "$claims" | openssl dgst -sha256 -sign "$work/jwt.key" -binary | b64url)"
}

# ---- the namespace model
indent() { sed "s/^/$1/"; }
{
  cat <<EOF
settings:
  hostname: $hostname
  maximumClientSessionsPerAuthenticationName: 100
  clientAuthentication:
    customJwtAuthentication:
      tokenIssuer: $issuer
      encodedIssuerCertificates:
        - kid: bench-key
          encodedCertificate: |
EOF
  indent '            ' <"$work/jwt.pub"
  echo "clients:"
  for ((i = 0; i < certs; i++)); do
    echo "  bench-x509-$i: { clientCertificateAuthentication: { validationScheme: SubjectMatchesAuthenticationName }, attributes: { role: bench } }"
  done
  cat <<'EOF'
clientGroups:
  bench-devices: { query: "attributes.role = 'bench'" }
topicSpaces:
  telemetry: { topicTemplates: ["telemetry/${client.authenticationName}/#"] }
  bench: { topicTemplates: ["commands/${client.authenticationName}/#", "bench/${client.authenticationName}/#"] }
permissionBindings:
  all-pub-telemetry: { clientGroupName: $all, topicSpaceName: telemetry, permission: Publisher }
  all-pub-bench: { clientGroupName: $all, topicSpaceName: bench, permission: Publisher }
  all-sub-bench: { clientGroupName: $all, topicSpaceName: bench, permission: Subscriber }
caCertificates:
  bench-ca:
    encodedCertificate: |
EOF
  indent '      ' <"$work/ca.crt"
} >"$work/namespace.yaml"

# ---- one node, TLS on, nothing else listening
ulimit -n 65536 2>/dev/null || true
java -Xmx1g -XX:+ExitOnOutOfMemoryError -jar target/mqttgrid.jar --set mqtt.host=127.0.0.1 --set mqtt.port=$tcp_port --set mqtt.tls-port=$tls_port \
  --set mqtt.websocket-port=-1 --set mqtt.wss-port=-1 --set http.port=-1 --set http.tls-port=-1 \
  --set management.port=-1 --set tls.cert-file="$work/server.crt" --set tls.key-file="$work/server.key" \
  --set namespace.file="$work/namespace.yaml" >"$work/grid.log" 2>&1 &
grid_pid=$!
for _ in $(seq 1 60); do
  grep -q "started" "$work/grid.log" && break
  kill -0 $grid_pid 2>/dev/null || { echo "the broker stopped:" >&2; tail -20 "$work/grid.log" >&2; exit 1; }
  sleep 1
done
grep -q "namespace file applied" "$work/grid.log" \
  || { echo "the namespace file was not applied:" >&2; grep -i namespace "$work/grid.log" >&2; exit 1; }

# broker CPU time (user + system, ms): unlike rates, it hardly depends on what else runs on the machine
clock_ticks=$(getconf CLK_TCK)
broker_cpu_ms() { awk -v hz="$clock_ticks" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$grid_pid/stat"; }
now_ms() { date +%s%3N; }
idle_per_s=0
work_cpu_ms() { # cpu_before wall_before
  awk -v ms=$(($(broker_cpu_ms) - $1)) -v wall=$(($(now_ms) - $2)) -v idle="$idle_per_s" \
    'BEGIN { w = ms - idle * wall / 1000; print (w > 0 ? int(w) : 0) }'
}

# ---- connects per second
storm() { # label auth url seconds
  local label=$1
  echo "connects $label: load average $(cut -d' ' -f1 /proc/loadavg) before" >>"$work/load.txt"
  local cpu_before wall_before run connects
  cpu_before=$(broker_cpu_ms)
  wall_before=$(now_ms)
  timeout $(($4 + 300)) mvn -B -q -Dstyle.color=never -f load-tests/pom.xml gatling:test \
    -Dgatling.simulationClass=io.mqttgrid.load.simulations.AuthConnectStormSimulation -Dauth="$2" -Dmqtt.url="$3" \
    -Dconcurrent="$concurrent" -Dduration="$4" -Dtls.trust="$work/server.crt" -Dx509.dir="$work/x509" \
    -Djwt.key="$work/jwt.key" -Djwt.issuer="$issuer" -Djwt.audience="$hostname" -Djwt.kid=bench-key \
    >"$work/storm-$label.log" 2>&1 || echo "connect storm $label failed, see $work/storm-$label.log" >&2
  run=$(ls -td load-tests/target/gatling/*/ | head -1)
  runs+=("$label=$run")
  # the broker's CPU for a connect and its disconnect, from the successful connects
  connects=$(grep -c $'^REQUEST\t.*\tconnect\t.*\tOK' "$run/simulation.log" || true)
  awk -v l="$label" -v c="$connects" -v ms="$(work_cpu_ms "$cpu_before" "$wall_before")" \
    'BEGIN { printf "%-18s %7d connects  broker CPU %6.1f s = %5.2f ms per connect+disconnect\n", l, c, ms / 1000, c ? ms / c : 0 }' \
    >>"$work/connect-cpu.txt"
}
runs=()
# warm-up, not reported: the broker's TLS, certificate and token code is compiled by the JIT during the first
# seconds, which would otherwise land on whichever run comes first
storm warm-up-tcp none "tcp://127.0.0.1:$tcp_port" 5
storm warm-up-x509 x509 "ssl://127.0.0.1:$tls_port" 5
storm warm-up-jwt jwt "ssl://127.0.0.1:$tls_port" 5
# an idle node still spends a little (Hazelcast, timers); taken off each run's CPU for the run's wall time
idle_start=$(broker_cpu_ms)
sleep 10
idle_per_s=$(awk -v ms=$(($(broker_cpu_ms) - idle_start)) 'BEGIN { print ms / 10 }')
runs=()
storms=("anonymous-tcp none tcp://127.0.0.1:$tcp_port" "anonymous-tls none ssl://127.0.0.1:$tls_port"
  "x509 x509 ssl://127.0.0.1:$tls_port" "jwt jwt ssl://127.0.0.1:$tls_port")
for ((round = 1; round <= rounds; round++)); do
  order=(0 1 2 3)
  ((round % 2 == 0)) && order=(3 2 1 0)
  for i in "${order[@]}"; do
    set -- ${storms[i]}
    storm "$1#$round" "$2" "$3" "$duration"
  done
done

# ---- publish throughput, TLS for every run: only authentication and authorization differ
throughput() { # label qos options...
  local label=$1 qos=$2
  shift 2
  echo "throughput $label qos $qos: load average $(cut -d' ' -f1 /proc/loadavg) before" >>"$work/load.txt"
  local cpu_before wall_before line
  cpu_before=$(broker_cpu_ms)
  wall_before=$(now_ms)
  line=$(timeout 300 mvn -B -q -f load-tests/pom.xml exec:java \
    -Dexec.args="--port $tls_port --tls-trust $work/server.crt --qos $qos --messages $messages $*" \
    2>>"$work/throughput.log" | grep 'msg/s') || line="qos $qos: failed (see $work/throughput.log)"
  # broker CPU per message: one PUBLISH in, its authorization, one delivery out (plus two connects)
  printf '%-10s %s; broker CPU %.1f us/msg\n' "$label" "$line" \
    "$(awk -v ms="$(work_cpu_ms "$cpu_before" "$wall_before")" -v n="$messages" 'BEGIN { print ms * 1000 / n }')" \
    >>"$work/throughput.txt"
}
x509_cert=$work/x509/bench-x509-0
# the model is on for these clients: a topic no template grants them is refused (SUBACK 0x87)
probe=$({ timeout 120 mvn -B -q -f load-tests/pom.xml exec:java -Dexec.args="--port $tls_port \
  --tls-trust $work/server.crt --cert $x509_cert.crt --key $x509_cert.key --username bench-x509-0 \
  --topic bench/bench-x509-1/x --messages 1" 2>&1 || true; } | grep -o 'SUBSCRIBE .* refused: .*' \
  || echo "NOT REFUSED: authorization is not applied")
jwt_token=$(jwt_for bench-jwt-throughput)
# warm-up of the publish path (and a collection of what the connect runs left behind), not reported
throughput warm-up 1 --cert "$x509_cert.crt" --key "$x509_cert.key" --username bench-x509-0 \
  --topic bench/bench-x509-0/throughput
: >"$work/throughput.txt"
for ((round = 1; round <= rounds; round++)); do
  for qos in 0 1; do
    kinds=(anonymous x509 jwt)
    ((round % 2 == 0)) && kinds=(jwt x509 anonymous)
    for kind in "${kinds[@]}"; do
      case $kind in
        anonymous) throughput anonymous "$qos" --topic bench/anonymous/throughput ;;
        x509) throughput x509 "$qos" --cert "$x509_cert.crt" --key "$x509_cert.key" --username bench-x509-0 \
          --topic bench/bench-x509-0/throughput ;;
        jwt) throughput jwt "$qos" --jwt "$jwt_token" --topic bench/bench-jwt-throughput/throughput ;;
      esac
    done
  done
done

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); $(java -version 2>&1 | head -1);" \
  "load generator on the same cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "idle broker: $idle_per_s ms CPU per second (subtracted from the runs' broker CPU below)"
echo "== connects: $concurrent devices at a time connecting and disconnecting back to back for $duration s (#round)"
java -cp load-tests/target/classes io.mqttgrid.load.GatlingRunSummary "${runs[@]}"
grep -v warm-up "$work/connect-cpu.txt" | sort -s -k1,1
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
echo "medians of $rounds runs:"
for kind in anonymous-tcp anonymous-tls x509 jwt; do
  rate=$(awk -v k="$kind#" -v d="$duration" 'index($1, k) == 1 { print int($2 / d) }' "$work/connect-cpu.txt" | median)
  cpu=$(awk -v k="$kind#" 'index($1, k) == 1 { print $(NF - 3) }' "$work/connect-cpu.txt" | median)
  printf '  %-14s %s connects/s, broker CPU %s ms per connect+disconnect\n' "$kind" "$rate" "$cpu"
done
echo
echo "== one publisher to one subscriber over TLS, $messages messages of 64 bytes"
sort -s -k1,1 -k5,5n "$work/throughput.txt"
echo "medians of $rounds runs:"
for qos in 0 1; do
  for kind in anonymous x509 jwt; do
    rate=$(awk -v k=$kind -v q=$qos '$1 == k && $5 == q && / = / {
      for (i = 1; i <= NF; i++) if ($i == "=") print $(i + 1) }' "$work/throughput.txt" | median)
    cpu=$(awk -v k=$kind -v q=$qos '$1 == k && $5 == q && / = / { print $(NF - 1) }' "$work/throughput.txt" | median)
    printf '  %-10s qos %s: %s msg/s, broker CPU %s us/msg\n' $kind $qos "$rate" "$cpu"
  done
done
echo "authorization probe (x509 client, another client's topic): $probe"
echo
echo "other work on the machine (1-minute load average as each run started):"
grep -v warm-up "$work/load.txt" || true
echo
echo "broker warnings and errors (besides the development-mode notice):"
grep -E ' (WARN|ERROR) ' "$work/grid.log" | grep -v 'DEVELOPMENT MODE' | cut -c1-300 | head -20 || true

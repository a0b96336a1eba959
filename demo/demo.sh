#!/usr/bin/env bash
# make demo: one lab box (real Tomcat 10.1 laid out like a STARFACE), the role run twice
# against it (the second run must change nothing), what the box serves, then tear down.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ADDRESS=${DEMO_ADDRESS:-127.0.0.9}
NAME=${DEMO_SERVER_NAME:-pbx.demo.test}
WORK=$(mktemp -d /tmp/starface-demo.XXXXXX)
LAB=("$ROOT/.venv/bin/python" "$ROOT/tests/lab/starface_lab.py")

cleanup() {
    "${LAB[@]}" destroy --root "$WORK/box" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "Creating a lab box on $ADDRESS (ports 80 and 443, provisional certificate for $NAME)"
"${LAB[@]}" create --root "$WORK/box" --address "$ADDRESS" --server-name "$NAME" >/dev/null
"${LAB[@]}" start --root "$WORK/box" >/dev/null
served() {
    openssl s_client -connect "$ADDRESS:443" -servername "$NAME" </dev/null 2>/dev/null |
        openssl x509 -noout -subject -issuer -enddate -fingerprint -sha256
}
served

step "Making our own CA on the controller (root and issuing CA, with openssl)"
mkdir -p "$WORK/ca"
cd "$WORK/ca"
cat > ext.cnf <<'CNF'
[ca]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 3650 \
    -subj "/O=Demo/CN=Demo Root CA" -extensions ca -config ext.cnf 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout issuing.key -out issuing.csr \
    -subj "/O=Demo/CN=Demo Issuing CA" 2>/dev/null
openssl x509 -req -in issuing.csr -CA root.pem -CAkey root.key -CAcreateserial -days 1825 \
    -extfile ext.cnf -extensions ca -out issuing.pem 2>/dev/null
cd "$ROOT"
echo "root: $(openssl x509 -in "$WORK/ca/root.pem" -noout -subject)"

cat > "$WORK/inventory.yml" <<INV
starface:
  hosts:
    $NAME:
      ansible_connection: local
      ansible_python_interpreter: $ROOT/.venv/bin/python
      starface_webserver_verify_address: $ADDRESS
      starface_webserver_subject_alt_names: [$ADDRESS]
      starface_webserver_tomcat_base: $WORK/box/opt/tomcat
      starface_webserver_restart_command: $WORK/box/usr/sbin/starface-webserver-restart
      starface_webserver_restart_timeout: 60
INV

for run in first second; do
    step "Running the role ($run run)"
    if ! "$ROOT/.venv/bin/ansible-playbook" -i "$WORK/inventory.yml" "$ROOT/demo/site.yml" \
        -e "demo_dir=$WORK" >"$WORK/$run.log" 2>&1; then
        cat "$WORK/$run.log"
        echo "make demo: the $run run of the role failed (output above)" >&2
        exit 1
    fi
    grep -E '^(changed|ok): |^TASK ' "$WORK/$run.log" | grep -B1 '^changed:' | grep '^TASK' || echo "(no task changed anything)"
    sed -n '/Show the report\]/,/^$/p;/PLAY RECAP/,$p' "$WORK/$run.log"
done

step "What the box serves now (verified against our root)"
openssl s_client -connect "$ADDRESS:443" -servername "$NAME" -CAfile "$WORK/ca/root.pem" \
    -verify_return_error </dev/null 2>/dev/null | grep -E 'Verify return code' || true
served
"$ROOT/.venv/bin/python" - "$ADDRESS" <<'PY'
import http.client, sys
conn = http.client.HTTPConnection(sys.argv[1], 80, timeout=5)
conn.request('GET', '/')
answer = conn.getresponse()
print('HTTP port 80 answers %s %s' % (answer.status, answer.getheader('Location') or ''))
PY

step "Second run"
if grep -qE "changed=0 +unreachable=0 +failed=0" "$WORK/second.log"; then
    echo "no change, as expected"
else
    echo "the second run changed something: see above" >&2
    exit 1
fi

#!/usr/bin/env bash
# Debian packages for the scaled-out profile (`make run-scaled`, tests/e2e/test_scaled.py):
# PostgreSQL (tracker store and the project's tables), Redis (Rasa's lock
# store) and HAProxy (the balancer in front of the Rasa replicas and action servers).
# Only the binaries are used: the project starts its own instances under var/.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing Debian packages for the scaled profile: ${missing[*]}..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts the packaged services; this project runs its own instances.
for service in postgresql redis-server haproxy; do
  $SUDO service "$service" stop >/dev/null 2>&1 || true
done

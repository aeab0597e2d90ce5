#!/usr/bin/env bash
# The Debian package on this machine itself: built and checked by lintian, installed, the server started as the
# service user from the installed files and answering, upgraded with its data and the administrator's edit of the
# configuration kept, removed (data kept) and purged (data gone).
#   package_test.sh SOURCE_DIR BUILD_DIR
# Needs root, a machine without the package and without systemd running (in a container, as CI): otherwise it
# says why and is skipped (exit 77).
set -euo pipefail
source_dir="$1"
build_dir="$2"

if [ "$(id -u)" -ne 0 ]; then
  echo "skipped: installing a package needs root"
  exit 77
fi
if dpkg-query -W -f='${db:Status-Status}' jobsessions 2>/dev/null | grep -qv '^not-installed$'; then
  echo "skipped: jobsessions is installed on this machine, and this test would replace and purge it"
  exit 77
fi

if [ -d /run/systemd/system ]; then
  # The package would start the real service on port 8443 and its data directory, which this test's own server
  # then could not lock.
  echo "skipped: systemd runs on this machine; this test is for a machine or container without it"
  exit 77
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  dpkg --purge jobsessions >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  [ -f "$work/err" ] && { echo "--- the server's stderr:" >&2; cat "$work/err" >&2; }
  exit 1
}
expect_eq() { # WHAT ACTUAL EXPECTED
  [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

echo "== build the packages (0.1.0, and 0.1.1 to upgrade to); lintian reports no error"
deb1="$("$source_dir/scripts/package" --build-dir "$build_dir" --out "$work/1" --version 0.1.0)"
deb2="$("$source_dir/scripts/package" --build-dir "$build_dir" --out "$work/2" --version 0.1.1)"

echo "== install"
dpkg --install "$deb1" >/dev/null
expect_eq "installed version" "$(dpkg-query -W -f='${Version}' jobsessions)" "0.1.0"
getent passwd jobsessions >/dev/null || fail "no user jobsessions"
expect_eq "the data directory" "$(stat -c '%U:%G %a' /var/lib/jobsessions)" "jobsessions:jobsessions 700"
expect_eq "the configuration" "$(stat -c '%U:%G %a' /etc/jobsessions/jobsessiond.conf)" "root:jobsessions 640"
[ -L /etc/systemd/system/multi-user.target.wants/jobsessiond.service ] || fail "the service is not enabled"
systemd-analyze verify /lib/systemd/system/jobsessiond.service || fail "systemd-analyze verify"
/usr/bin/jobsessions --version >/dev/null || fail "the client does not run"
zcat /usr/share/doc/jobsessions/third-party-licenses.txt.gz | grep -q "^uplot " ||
  fail "the licences of the web console's packages are not shipped"

# The server as systemd would run it: the service user, the installed binary and configuration, an empty
# environment; only the port differs (a free one).
start_server() {
  : >"$work/out"
  setpriv --reuid=jobsessions --regid=jobsessions --init-groups --reset-env \
    /usr/bin/jobsessiond serve --config /etc/jobsessions/jobsessiond.conf --listen 127.0.0.1:0 \
    >"$work/out" 2>"$work/err" </dev/null &
  server_pid=$!
  # Each read blocks until the file grows; the server prints the line once its port accepts.
  timeout 60 grep -m1 -q "listening on" <(tail -n +1 -f "$work/out") || fail "the server did not start"
  port="$(sed -n 's|.*listening on https://[^ ]*:\([0-9]*\)$|\1|p' "$work/out")"
  expect_eq "the server's user" "$(stat -c %U "/proc/$server_pid")" "jobsessions"
}
stop_server() {
  kill -TERM "$server_pid"
  local code=0
  wait "$server_pid" || code=$?
  server_pid=""
  expect_eq "the server's exit code" "$code" "0"
}
api() { # METHOD PATH [BODY]
  curl -sS --cacert /var/lib/jobsessions/tls/cert.pem -X "$1" -H "Authorization: Bearer $token" \
    -H "Content-Type: application/json" ${3:+--data "$3"} "https://127.0.0.1:$port$2"
}
log_in() {
  token="$(curl -sS --cacert /var/lib/jobsessions/tls/cert.pem --data-urlencode "username=admin" \
    --data-urlencode "password=$password" "https://127.0.0.1:$port/api/oauth2/token" | jq -r .access_token)"
  [ -n "$token" ] && [ "$token" != "null" ] || fail "cannot log in"
}

echo "== first start: the generated admin password shown once; a session written and read"
start_server
password="$(sed -n "s/.*created user 'admin' (Administrator) with password: \(.*\)$/\1/p" "$work/err")"
[ -n "$password" ] || fail "no admin password shown"
log_in
id="$(api POST /api/v1/jobSessions '{"type":"PolicyBackup","status":"Running"}' | jq -r .id)"
expect_eq "the session read back" "$(api GET "/api/v1/jobSessions/$id" | jq -r .status)" "Running"
expect_eq "the database's owner" "$(stat -c %U /var/lib/jobsessions/jobsessions.db)" "jobsessions"
stop_server

echo "== upgrade: the data and the administrator's edit of the configuration kept"
echo "# edited by the administrator" >>/etc/jobsessions/jobsessiond.conf
dpkg --install "$deb2" >/dev/null
expect_eq "upgraded version" "$(dpkg-query -W -f='${Version}' jobsessions)" "0.1.1"
grep -q "edited by the administrator" /etc/jobsessions/jobsessiond.conf || fail "the edit of the configuration is lost"
start_server
grep -q "with password" "$work/err" && fail "a second admin password was made"
log_in
expect_eq "the session after the upgrade" "$(api GET "/api/v1/jobSessions/$id" | jq -r .id)" "$id"
stop_server

echo "== remove: the programs go, the data and the configuration stay"
dpkg --remove jobsessions >/dev/null
[ ! -e /usr/bin/jobsessiond ] || fail "/usr/bin/jobsessiond is still there"
[ -f /var/lib/jobsessions/jobsessions.db ] || fail "remove deleted the data"
[ -f /etc/jobsessions/jobsessiond.conf ] || fail "remove deleted the configuration"
expect_eq "status after remove" "$(dpkg-query -W -f='${db:Status-Status}' jobsessions)" "config-files"

echo "== purge: the data and the configuration go"
dpkg --purge jobsessions >/dev/null
[ ! -e /var/lib/jobsessions ] || fail "purge left /var/lib/jobsessions"
[ ! -e /etc/jobsessions ] || fail "purge left /etc/jobsessions"
[ ! -e /etc/systemd/system/multi-user.target.wants/jobsessiond.service ] || fail "purge left the service enabled"
dpkg-query -W jobsessions >/dev/null 2>&1 && fail "dpkg still knows the package"
echo "ok"

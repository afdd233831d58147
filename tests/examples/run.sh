#!/bin/sh
# run.sh FNLUA - runs every example function in handlers/ once through
# `FNLUA invoke` with its event.json and checks the exit code, key parts of the
# result on stdout and of the log on stderr.  One line per case; the last line
# is "N passed, M failed"; exits 1 when any case failed, 2 on bad usage.
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 PATH/TO/fnlua" >&2
    exit 2
fi
case $1 in
    /*) FNLUA=$1 ;;
    *) FNLUA=$(pwd)/$1 ;;
esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
H=$ROOT/handlers
TMP=$(mktemp -d "${TMPDIR:-/tmp}/fnlua-examples.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT HUP INT TERM
# the env-config and outbound cases set these themselves
unset APP_GREETING APP_MAX_ITEMS APP_DEBUG API_URL API_MAX_ATTEMPTS API_ATTEMPT_TIMEOUT API_BACKOFF API_TIMEOUT
# calls to 127.0.0.1 never go through a proxy the machine may have set
no_proxy=127.0.0.1
NO_PROXY=127.0.0.1
export no_proxy NO_PROXY

passed=0
failed=0
name=
problems=

# start NAME: begins a case
start() {
    name=$1
    problems=
}

# run RC CMD...: runs CMD, stdout to $TMP/out, stderr to $TMP/err; expects exit code RC
run() {
    want=$1
    shift
    "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    rc=$?
    [ "$rc" -eq "$want" ] || problems="$problems; exit code $rc, want $want"
}

# out_has TEXT / log_has TEXT / out_lacks TEXT: fixed-string checks
out_has() { grep -qF -e "$1" "$TMP/out" || problems="$problems; stdout lacks [$1]"; }
log_has() { grep -qF -e "$1" "$TMP/err" || problems="$problems; log lacks [$1]"; }
out_lacks() { ! grep -qF -e "$1" "$TMP/out" || problems="$problems; stdout has [$1]"; }

# finish: prints the case's verdict
finish() {
    if [ -z "$problems" ]; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name${problems}"
        sed 's/^/    stdout: /' "$TMP/out" | head -n 5
        sed 's/^/    log: /' "$TMP/err" | head -n 10
    fi
}

start "hello: event name -> greeting with the request id"
printf '{"name":"Lua"}' >"$TMP/hello.json"
run 0 "$FNLUA" invoke --dir "$H/hello" --header 'X-CFF-Request-Id: r1' "$TMP/hello.json"
out_has '"statusCode":200'
out_has 'Hello, Lua!'
out_has '\"requestId\":\"r1\"'
log_has ' r1 INFO index.lua:'
finish

start "apig-json-api: base64 APIG body with name -> 200 JSON greeting"
run 0 "$FNLUA" invoke --dir "$H/apig-json-api" --header 'X-CFF-Request-Id: r2' "$H/apig-json-api/event.json"
out_has '"statusCode":200'
out_has '"Content-Type":"application/json"'
out_has '\"message\":\"Hello, OpenTelekomCloud!\"'
out_has '\"responseType\":\"html\"'
out_has '\"requestId\":\"r2\"'
log_has 'hello for OpenTelekomCloud from 103.218.216.98'
finish

start "apig-json-api: body without name -> 400 {\"error\": ...}"
run 0 "$FNLUA" invoke --dir "$H/apig-json-api" "$H/apig-json-api/event-missing-name.json"
out_has '"statusCode":400'
out_has '{\"error\":\"field \\\"name\\\" is required'
log_has 'WARN index.lua:'
finish

start "timer: JSON user_event -> its message"
run 0 "$FNLUA" invoke --dir "$H/timer" "$H/timer/event.json"
out_has '\"message\":\"timer triggered event\"'
out_has '\"trigger\":\"Timer_001\"'
log_has 'timer Timer_001 fired at 2023-06-01T08:30:00+08:00: timer triggered event'
finish

start "timer: plain-text user_event -> the text itself"
printf '{"trigger_type":"TIMER","trigger_name":"T2","time":"t","user_event":"just text"}' >"$TMP/timer.json"
run 0 "$FNLUA" invoke --dir "$H/timer" "$TMP/timer.json"
out_has '\"message\":\"just text\"'
finish

start "smn-consumer: SMN record -> logged, counted"
run 0 "$FNLUA" invoke --dir "$H/smn-consumer" "$H/smn-consumer/event.json"
out_has '\"processed\":1'
out_has 'a51671f77d4a479cacb09e2cd591a983'
log_has 'smn record 1: topic=urn:smn:eu-de:0123:topic'
log_has 'subject="this is smn message subject" message="this is smn message content"'
finish

start "kafka-consumer: two messages -> each logged, counted per topic"
run 0 "$FNLUA" invoke --dir "$H/kafka-consumer" "$H/kafka-consumer/event.json"
out_has '\"messages\":2'
out_has '\"topic-test\":2'
log_has 'kafka topic-test message 1: kafka message1'
log_has 'kafka topic-test message 2: kafka message2'
finish

start "obs-event: S3-style record -> bucket, key, size"
run 0 "$FNLUA" invoke --dir "$H/obs-event" "$H/obs-event/event.json"
out_has '\"bucket\":\"functionstorage-template\"'
out_has '\"key\":\"job.png\"'
out_has '\"size\":777835'
log_has 'ObjectCreated:Post: bucket=functionstorage-template key=job.png size=777835'
finish

start "binary-response: PNG bytes -> base64 body, isBase64Encoded true"
run 0 "$FNLUA" invoke --dir "$H/binary-response" "$H/binary-response/event.json"
out_has '"isBase64Encoded":true,"statusCode":200}'
out_has '"Content-Type":"image/png"'
out_has '"body":"iVBORw0KGgo' # base64 of the PNG signature
log_has 'serving a 4x4 PNG'
finish

start "lua-modules-dependency: require from lua_modules/share/lua/5.4"
run 0 "$FNLUA" invoke --dir "$H/lua-modules-dependency" "$H/lua-modules-dependency/event.json"
out_has '\"slug\":\"hello-functiongraph-world\"'
log_has 'slugify 1.0'
finish

start "env-config: no variables set -> defaults"
run 0 "$FNLUA" invoke --dir "$H/env-config" "$H/env-config/event.json"
out_has '\"greeting\":\"Hello\"'
out_has '\"maxItems\":10'
out_has 'Hello #5'
log_has 'maxItems=10 (default)'
finish

start "env-config: APP_GREETING, APP_MAX_ITEMS set -> used"
run 0 env APP_GREETING=Hi APP_MAX_ITEMS=2 "$FNLUA" invoke --dir "$H/env-config" "$H/env-config/event.json"
out_has '\"greeting\":\"Hi\"'
out_has 'Hi #2'
out_lacks 'Hi #3'
log_has 'greeting="Hi" (environment)'
finish

start "env-config: bad APP_MAX_ITEMS -> initializer error, exit 2"
run 2 env APP_MAX_ITEMS=zero "$FNLUA" invoke --dir "$H/env-config" "$H/env-config/event.json"
out_has '"errorType":"InitializerError"'
out_has 'APP_MAX_ITEMS must be a positive integer'
finish

start "http-router: APIG event GET /items/2 (event mode) -> 200 item"
run 0 "$FNLUA" invoke --dir "$H/http-router" "$H/http-router/event.json"
out_has '"statusCode":200'
out_has '\"name\":\"pear\"'
finish

# `fnlua invoke --mode http` takes the request line from --method/--path and
# prints the envelope; the router's full behaviour is in tests/lua-library/test_router.lua.
start "http-router: --mode http GET /items/2 -> 200 item"
run 0 "$FNLUA" invoke --mode http --dir "$H/http-router" --path /items/2
out_has '"statusCode":200'
out_has '\"name\":\"pear\"'
finish

start "http-router: --mode http POST / -> the router's 404 JSON body"
run 0 "$FNLUA" invoke --mode http --dir "$H/http-router" "$H/http-router/event.json"
out_has '"statusCode":404'
out_has 'no route for /'
finish

start "http-router: --mode http DELETE /items -> 405 with Allow"
run 0 "$FNLUA" invoke --mode http --dir "$H/http-router" --method DELETE --path /items
out_has '"statusCode":405'
out_has '"Allow":"GET, POST, HEAD"'
finish

# The outbound examples against a closed local port (nothing listens on 9):
# no network needed; tests/http/test_examples_outbound.py runs them against a
# local stand-in that answers.
start "rest-retry: no API_URL -> initializer error, exit 2"
run 2 "$FNLUA" invoke --dir "$H/rest-retry" "$H/rest-retry/event.json"
out_has '"errorType":"InitializerError"'
out_has 'API_URL must be the API'
finish

start "rest-retry: connection refused -> retried with back-off, then a clear error"
run 1 env API_URL=http://127.0.0.1:9 API_BACKOFF=0.01 "$FNLUA" invoke --dir "$H/rest-retry" "$H/rest-retry/event.json"
out_has '"errorType":"HandlerError"'
out_has 'GET http://127.0.0.1:9/todos/1 failed after 4 attempt(s): connect: 127.0.0.1'
log_has 'WARN index.lua:'
log_has 'attempt 3 of 4: connect: 127.0.0.1'
finish

start "fan-out: every call refused -> 502, each item's error"
run 0 env 'API_URL=http://127.0.0.1:9/items/{id}' "$FNLUA" invoke --dir "$H/fan-out" "$H/fan-out/event.json"
out_has '"statusCode":502'
out_has '\"id\":5'
out_has '\"error\":\"connect: 127.0.0.1'
out_has '\"ok\":0'
out_has '\"failed\":5'
log_has 'fetched 0 item(s), 5 failed'
finish

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs every Swift Testing test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift format lint --strict -r Sources Tests Package.swift
# Zero compiler warnings in our own code (a dependency's are its own): each one fails the run.
build_log=$(mktemp)
built=0
swift build --build-tests >"$build_log" 2>&1 || built=$?
grep -v '^\[' "$build_log" || true
if ((built != 0)); then
    rm -f "$build_log"
    exit "$built"
fi
warnings=$(grep -E "^$PWD/(Sources|Tests)/.*: warning:" "$build_log" | sort -u || true)
rm -f "$build_log"
if [[ -n $warnings ]]; then
    echo "test.sh: the build has compiler warnings; fix them:" >&2
    echo "$warnings" >&2
    exit 1
fi

# Every program a test starts has a time limit (Tool.run), so a run should never hang; if it still does, it fails
# here after PHONEPACK_TEST_LIMIT seconds (a whole run takes 1–3 minutes) with every thread's stack and the process
# tree, instead of running into CI's own limit with nothing to show.
limit=${PHONEPACK_TEST_LIMIT:-1500}
# Every tool a test needs was installed above: a missing one fails its test (Tests/PhonePackTestSupport/Requirement.swift).
export PHONEPACK_REQUIRE_TOOLS=1
# Every emulator a test starts records each request as it arrived (EmulatorProcess); after the suite, the vendors'
# own SDK signing code checks every one of them (Tests/Scripts/signature_oracle.py). A request the emulator accepted
# that the SDKs refuse, or the other way round, fails the run: the emulator is a test double and may not be trusted
# on its own.
wire=$(mktemp -d)
trap 'rm -rf "$wire"' EXIT
export PHONEPACK_WIRE_LOG_DIR=$wire
swift test --skip-build --disable-xctest &
tests=$!
(
    waited=0
    while kill -0 "$tests" 2>/dev/null; do
        if ((waited >= limit)); then
            echo "test.sh: the tests are still running after ${limit} s; stacks and processes follow" >&2
            ps -eo pid,ppid,pgid,etimes,args --forest >&2
            for p in $(pgrep -f phonepackPackageTests || true); do
                command -v gdb >/dev/null && gdb -p "$p" -batch -ex "thread apply all bt 20" >&2 2>/dev/null
            done
            pkill -KILL -f phonepackPackageTests || true
            kill -KILL "$tests" 2>/dev/null || true
            exit 0
        fi
        sleep 5
        waited=$((waited + 5))
    done
) &
watchdog=$!
status=0
wait "$tests" || status=$?
wait "$watchdog" || true

shopt -s nullglob
logs=("$wire"/*.jsonl)
if ((${#logs[@]} == 0)); then
    echo "test.sh: no emulator recorded a request; the signature oracle had nothing to check" >&2
    status=1
else
    # The key pair of Tests/PhonePackTestSupport/EmulatorProcess.swift.
    python3 Tests/Scripts/signature_oracle.py --access-key PHONEPACKEMULATORAK \
        --secret-key emulator-secret-MUST-NOT-LEAK-7 "${logs[@]}" || status=1
fi
exit "$status"

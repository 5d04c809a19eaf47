#!/bin/sh
# Copy the hostile suite into a worktree of another commit (the baseline check of docs in the report).
set -e
base=${1:-/tmp/zds-hostile-base}
main=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$base/test/hostile" "$base/test/fixtures/hostile" "$base/test/helpers" "$base/test/kernel"
cp "$main"/test/hostile/*.ts "$base/test/hostile/"
cp "$main"/test/fixtures/hostile/* "$base/test/fixtures/hostile/"
cp "$main"/test/helpers/hostile-run.ts "$main"/test/helpers/hostile-child.ts "$main"/test/helpers/device-rig.ts "$base/test/helpers/" 2>/dev/null || true
cp "$main"/test/kernel/syscall-fuzz.property.test.ts "$base/test/kernel/" 2>/dev/null || true

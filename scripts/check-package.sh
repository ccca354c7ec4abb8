#!/usr/bin/env bash
# Checks the package as a user gets it (`npm run check:package`; CI runs it after `npm test`):
#  1. packs a copy of the work tree (tracked and untracked, not ignored files), so prepack's build,
#     which compiles next to the sources, never touches the repository;
#  2. checks the tarball's contents (scripts/package-check/inspect-tarball.ts);
#  3. installs the tarball with the peer dependencies (the versions this repo pins) into a
#     throwaway consumer project (scripts/package-check/consumer/), type-checks the consumer's app
#     and transform against the installed package, and synthesizes the app offline: EtlPipeline
#     in one stack, DataLake and TransformFunction alone in another;
#  4. loads every Lambda bundle in a fresh node process, alone, and invokes the transform functions
#     (scripts/package-check/consumer/check-bundles.ts);
#  5. runs the installed CLI.
# Everything happens in a temporary directory, removed at the end (KEEP_PACKAGE_CHECK=1 keeps it).
# Needs the repository's node_modules (npm ci) and the npm registry or a warm npm cache.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/cdk-serverless-etl-package.XXXXXX")"
cleanup() {
  if [ -n "${KEEP_PACKAGE_CHECK:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
started=$SECONDS
step() { printf '[check-package %3ss] %s\n' "$((SECONDS - started))" "$*"; }
npm_quiet() { npm "$@" --no-audit --no-fund --loglevel=error; }
pinned() { node -p "require('$repo/package-lock.json').packages['node_modules/$1'].version"; }

step "copying the work tree to $work/src"
mkdir "$work/src" "$work/tarball" "$work/consumer"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard) | node -e '
  const fs = require("node:fs"), path = require("node:path");
  const [from, to] = process.argv.slice(1);
  for (const file of fs.readFileSync(0, "utf8").split("\0").filter(Boolean)) {
    // Deleted and not yet committed, or a link (such as a node_modules linked into a checkout).
    if (!fs.lstatSync(path.join(from, file), { throwIfNoEntry: false })?.isFile()) continue;
    fs.mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    fs.copyFileSync(path.join(from, file), path.join(to, file));
  }' "$repo" "$work/src"
ln -s "$repo/node_modules" "$work/src/node_modules"

step "npm pack (prepack: npm run build)"
(cd "$work/src" && npm pack --pack-destination "$work/tarball" --loglevel=error >/dev/null)
tarball="$(ls "$work"/tarball/*.tgz)"
tar -xzf "$tarball" -C "$work/tarball"
"$repo/node_modules/.bin/tsx" "$repo/scripts/package-check/inspect-tarball.ts" "$work/tarball" "$tarball"

step "installing the tarball and the peer dependencies into a consumer project"
cp -R "$repo/scripts/package-check/consumer/." "$work/consumer/"
cd "$work/consumer"
echo '{ "name": "package-check-consumer", "version": "0.0.0", "private": true }' > package.json
npm_quiet install --prefer-offline "$tarball" \
  "aws-cdk-lib@$(pinned aws-cdk-lib)" "constructs@$(pinned constructs)" "esbuild@$(pinned esbuild)"
npm_quiet install --prefer-offline --save-dev \
  "typescript@$(pinned typescript)" "tsx@$(pinned tsx)" "@types/node@$(pinned @types/node)"

step "type-checking the consumer app and transform against the installed package"
npx --no-install tsc -p tsconfig.json

step "synthesizing the consumer app (npx tsx bin/app.ts)"
npx --no-install tsx bin/app.ts cdk.out
npx --no-install tsx check-bundles.ts cdk.out

step "running the installed CLI"
./node_modules/.bin/cdk-serverless-etl --help > cli-help.txt
grep -q '^Usage: cdk-serverless-etl <command>' cli-help.txt || { cat cli-help.txt; echo "CLI --help printed no usage" >&2; exit 1; }
status=0
./node_modules/.bin/cdk-serverless-etl no-such-command > /dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || { echo "CLI: an unknown command exited $status, not 2 (usage error)" >&2; exit 1; }

step "ok: $(basename "$tarball") installs, type-checks, synthesizes, bundles, loads and runs"

#!/usr/bin/env bash
# Checks the package as a user gets it (`npm run check:package`; CI runs it after `npm test`):
#  1. packs a copy of the work tree (tracked and untracked, not ignored files), so prepack's build,
#     which compiles next to the sources, never touches the repository, and checks the tarball's
#     contents (scripts/package-check/inspect-tarball.ts);
#  2. then, for each aws-cdk-lib version of CDK_LIB_VERSIONS (default "lowest newest": the lowest of
#     our peer range and the newest published, looked up now), in a fresh throwaway consumer project
#     (scripts/package-check/consumer/) with the tarball and the peer dependencies at those versions:
#     - type-checks the consumer's apps, transforms and tests against the installed package;
#     - synthesizes every scenario app (consumer/bin/*.ts, consumer/esm/) with cdk-nag's AwsSolutions
#       and Serverless packs: each must synthesize with zero findings (what the app itself must
#       acknowledge is acknowledged in the app, as README says);
#     - loads every Lambda bundle of the composed app in a fresh node process and invokes the
#       transforms (consumer/check-bundles.ts);
#     - runs cfn-lint over every template (scripts/cfn-lint.ts: zero errors besides listed false positives);
#     - runs the user's own jest snapshot test, edits the transform, runs it again with --ci;
#     - `npx cdk-serverless-etl start` on the two-pipeline app of its cdk.json: first without the
#       emulator packages (exit 3, the install line), then with them (conservation OK), then
#       with --pipeline refunds (the second pipeline gets the input; its current table, in
#       deduplication 'table' mode, holds one row per curated id, and start --query reads it);
#     - runs the installed CLI, and picks each of the two pipelines with --pipeline.
# Everything happens in a temporary directory, removed at the end (KEEP_PACKAGE_CHECK=1 keeps it).
# Needs the repository's node_modules (npm ci), the npm registry, and cfn-lint (the machine's Python).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/cdk-serverless-etl-package.XXXXXX")"
cleanup() {
  if [ -n "${KEEP_PACKAGE_CHECK:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
started=$SECONDS
step() { printf '[check-package %4ss] %s\n' "$((SECONDS - started))" "$*"; }
npm_quiet() { npm "$@" --no-audit --no-fund --loglevel=error; }
pinned() { node -p "require('$repo/package-lock.json').packages['node_modules/$1'].version"; }
# The lowest version a peer range of package.json allows.
lowest_peer() { (cd "$repo" && node -p "require('semver').minVersion(require('./package.json').peerDependencies['$1']).version"); }
# The newest published version within a range (default: any).
newest() { npm view "$1@${2:-latest}" version --json | node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(Array.isArray(v) ? v[v.length - 1] : v)'; }
tsx="$repo/node_modules/.bin/tsx"

command -v cfn-lint > /dev/null || { echo "cfn-lint is not installed (the machine's Python has it: pip install cfn-lint)" >&2; exit 1; }

step "copying the work tree to $work/src"
mkdir "$work/src" "$work/tarball"
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
"$tsx" "$repo/scripts/package-check/inspect-tarball.ts" "$work/tarball" "$tarball"

# One consumer project per aws-cdk-lib version: `lowest`, `newest` or an exact version.
check_consumer() {
  local which="$1" cdk_lib constructs esbuild nag cdk_cli consumer
  case "$which" in
    lowest)
      cdk_lib="$(lowest_peer aws-cdk-lib)"; constructs="$(lowest_peer constructs)"; esbuild="$(lowest_peer esbuild)"
      nag="$(pinned cdk-nag)"; cdk_cli="$(pinned aws-cdk)" ;;
    newest)
      cdk_lib="$(newest aws-cdk-lib)"; constructs="$(newest constructs)"; esbuild="$(newest esbuild)"
      nag="$(newest cdk-nag '^3')"; cdk_cli="$(newest aws-cdk)" ;;
    *)
      cdk_lib="$which"; constructs="$(pinned constructs)"; esbuild="$(pinned esbuild)"; nag="$(pinned cdk-nag)"; cdk_cli="$(pinned aws-cdk)" ;;
  esac
  consumer="$work/consumer-$which"
  step "[$which] consumer project: aws-cdk-lib@$cdk_lib constructs@$constructs esbuild@$esbuild cdk-nag@$nag aws-cdk@$cdk_cli"
  mkdir "$consumer"
  cp -R "$repo/scripts/package-check/consumer/." "$consumer/"
  cd "$consumer"
  echo '{ "name": "package-check-consumer", "version": "0.0.0", "private": true }' > package.json
  npm_quiet install --prefer-offline "$tarball" \
    "aws-cdk-lib@$cdk_lib" "constructs@$constructs" "esbuild@$esbuild"
  npm_quiet install --prefer-offline --save-dev "cdk-nag@$nag" "aws-cdk@$cdk_cli" \
    "typescript@$(pinned typescript)" "tsx@$(pinned tsx)" "@types/node@$(pinned @types/node)" \
    "jest@$(pinned jest)" "ts-jest@$(pinned ts-jest)" "@types/jest@$(pinned @types/jest)"
  node -e 'const v = require("aws-cdk-lib/package.json").version; if (v !== process.argv[1]) { console.error(`aws-cdk-lib ${v} installed, not ${process.argv[1]}`); process.exit(1); }' "$cdk_lib"

  step "[$which] type-checking the consumer's apps, transforms and tests against the installed package"
  npx --no-install tsc -p tsconfig.json

  step "[$which] synthesizing the scenarios with cdk-nag AwsSolutions + Serverless"
  run_scenario compose bin/app.ts
  run_scenario compose-recommended-flags bin/app.ts recommended
  run_scenario env-agnostic bin/env-agnostic.ts
  run_scenario two-pipelines bin/two-pipelines.ts
  run_scenario imported bin/imported.ts
  run_scenario constructs-alone bin/constructs-alone.ts
  run_scenario esm esm/bin/app.ts

  step "[$which] loading every Lambda bundle of the composed app and invoking the transforms"
  npx --no-install tsx check-bundles.ts out/compose

  step "[$which] cfn-lint over every scenario template"
  "$tsx" "$repo/scripts/cfn-lint.ts" out/*/*.template.json

  step "[$which] the user's jest snapshot test: run, edit the transform, run again with --ci"
  # The first run writes the snapshot (jest would refuse under CI=true, which implies --ci).
  npx --no-install jest --ci=false --silent 2>&1 | tail -n 4
  grep -Eq '[0-9a-f]{64}' test/__snapshots__/orders.test.ts.snap && { echo "the snapshot holds an asset hash" >&2; return 1; }
  printf '\nexport const editedAfterTheSnapshot = true;\n' >> src/transform.ts
  npx --no-install jest --ci --silent 2>&1 | tail -n 4

  step "[$which] npx cdk-serverless-etl start: the user's two-pipeline app (cdk.json) on local emulators"
  local status=0
  ./node_modules/.bin/cdk-serverless-etl start > start-missing.txt 2>&1 || status=$?
  [ "$status" -eq 3 ] && grep -qF 'npm install --save-dev dynalite@' start-missing.txt ||
    { cat start-missing.txt; echo "start without the emulator packages: exit $status, not 3 with the install line" >&2; return 1; }
  npm_quiet install --prefer-offline --save-dev "dynalite@$(pinned dynalite)" "kinesalite@$(pinned kinesalite)" \
    "fauxqs@$(pinned fauxqs)" "aws-local-stepfunctions@$(pinned aws-local-stepfunctions)" "@duckdb/node-api@$(pinned @duckdb/node-api)"
  ./node_modules/.bin/cdk-serverless-etl start --input events.jsonl --json start-report.json > start.txt 2>&1 ||
    { tail -n 40 start.txt; echo "npx cdk-serverless-etl start failed" >&2; return 1; }
  node -e '
    const r = require("./start-report.json");
    if (!r.conservationOk || !(r.recordsIn > 0)) { console.error("start: conservation not OK", JSON.stringify(r).slice(0, 400)); process.exit(1); }
  '
  sed -n '/^Report/,/conservation/p' start.txt
  # The second pipeline of the app, chosen by name: its own stream and bus get the input.
  ./node_modules/.bin/cdk-serverless-etl start --assembly .local-run/cdk.out --pipeline refunds --input events.jsonl --json start-refunds.json > start-refunds.txt 2>&1 ||
    { tail -n 40 start-refunds.txt; echo "npx cdk-serverless-etl start --pipeline refunds failed" >&2; return 1; }
  node -e '
    const r = require("./start-refunds.json");
    if (!r.conservationOk || !(r.recordsIn > 0) || !(r.curated > 0)) { console.error("start --pipeline refunds: nothing curated or conservation not OK", JSON.stringify(r).slice(0, 400)); process.exit(1); }
    // Its current table (deduplication: table): one row per order id curated, merged on DuckDB.
    const [t] = r.currentTables ?? [];
    if (!t || t.table !== "shop_refunds.refunds_current" || t.duplicateKeys !== 0 || t.failedMerges !== 0 || !(t.liveRows > 0) || t.liveRows !== t.curatedKeys - t.deletedKeys) {
      console.error("start --pipeline refunds: the current table is missing or does not hold one row per curated id", JSON.stringify(r.currentTables)); process.exit(1);
    }
    require("fs").writeFileSync("refunds-live-rows.txt", String(t.liveRows));
  '
  grep -q 'Drained Refunds/' start-refunds.txt || { cat start-refunds.txt; echo "start --pipeline refunds did not feed the refunds pipeline" >&2; return 1; }
  # The table the run kept, queried as a user would.
  ./node_modules/.bin/cdk-serverless-etl start --query "SELECT count(*) AS live FROM shop_refunds.refunds_current_live" > query.txt 2>&1 ||
    { cat query.txt; echo "start --query failed" >&2; return 1; }
  grep -qw "$(cat refunds-live-rows.txt)" query.txt || { cat query.txt; echo "start --query: the live view does not have $(cat refunds-live-rows.txt) rows" >&2; return 1; }

  step "[$which] running the installed CLI"
  ./node_modules/.bin/cdk-serverless-etl --help > cli-help.txt
  grep -q '^Usage: cdk-serverless-etl <command>' cli-help.txt || { cat cli-help.txt; echo "CLI --help printed no usage" >&2; return 1; }
  status=0
  ./node_modules/.bin/cdk-serverless-etl no-such-command > /dev/null 2>&1 || status=$?
  [ "$status" -eq 2 ] || { echo "CLI: an unknown command exited $status, not 2 (usage error)" >&2; return 1; }
  # The two-pipeline stack's outputs as `cdk deploy --outputs-file` writes them (values made up):
  # without --pipeline the CLI must stop and name both pipelines; with one, pick it.
  node -e '
    const t = require("./out/two-pipelines/Shop.template.json");
    const outputs = Object.fromEntries(Object.entries(t.Outputs).map(([k, o]) => [k, typeof o.Value === "string" ? o.Value : `value-of-${k}`]));
    require("fs").writeFileSync("shop-outputs.json", JSON.stringify({ Shop: outputs }));'
  status=0
  ./node_modules/.bin/cdk-serverless-etl status --outputs shop-outputs.json > cli-two.txt 2>&1 || status=$?
  [ "$status" -eq 2 ] && grep -q 'orders' cli-two.txt && grep -q 'refunds' cli-two.txt && grep -q -- '--pipeline' cli-two.txt ||
    { cat cli-two.txt; echo "CLI on two pipelines without --pipeline: exit $status, not 2 naming both" >&2; return 1; }
  status=0
  AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_MAX_ATTEMPTS=1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \
    ./node_modules/.bin/cdk-serverless-etl status --outputs shop-outputs.json --pipeline refunds --region eu-west-1 > cli-refunds.txt 2>&1 || status=$?
  grep -q 'pipeline: refunds' cli-refunds.txt || { cat cli-refunds.txt; echo "CLI --pipeline refunds did not pick the refunds pipeline" >&2; return 1; }
  cd "$work"
}

# Synthesizes one scenario app into out/<name> and fails on any cdk-nag finding (printed by rule and path).
run_scenario() {
  local name="$1" app="$2" flags="${3:-}" status=0
  SCENARIO_FLAGS="$flags" npx --no-install tsx "$app" "out/$name" > "out-$name.log" 2>&1 || status=$?
  if [ -f "out/$name/validation-report.json" ]; then
    node -e '
      const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      // cdk-nag findings fail, whatever their level; aws-cdk-lib'"'"'s own CloudFormation validation fails on errors and is printed otherwise.
      const fails = (p, v) => p.pluginName !== "CloudFormation Validate" || String(v.severity).toLowerCase() === "error";
      for (const p of report.pluginReports) for (const v of p.violations) if (!fails(p, v)) console.log(`    (${p.pluginName} ${v.severity} ${v.ruleName}: ${v.description})`);
      const findings = report.pluginReports.flatMap((p) => p.violations.filter((v) => fails(p, v)).flatMap((v) =>
        (v.violatingConstructs ?? v.violatingResources ?? [{}]).map((r) => `  ${v.ruleName} ${r.constructPath ?? r.resourceLogicalId ?? ""}`)));
      if (findings.length) { console.error(`${process.argv[2]}: ${findings.length} cdk-nag finding(s):\n${findings.join("\n")}`); process.exit(1); }
    ' "out/$name/validation-report.json" "$name" || status=1
  fi
  if [ "$status" -ne 0 ]; then
    tail -n 40 "out-$name.log" >&2
    echo "scenario $name ($app${flags:+, $flags flags}) failed" >&2
    return 1
  fi
  printf '    %-26s %s stack(s), 0 cdk-nag findings\n' "$name" "$(ls "out/$name"/*.template.json | wc -l)"
}

for which in ${CDK_LIB_VERSIONS:-lowest newest}; do
  check_consumer "$which"
done

step "ok: $(basename "$tarball") installs, type-checks, synthesizes every scenario nag- and cfn-lint-clean, bundles, loads, snapshots stably and runs, on aws-cdk-lib ${CDK_LIB_VERSIONS:-lowest newest}"

#!/usr/bin/env node
// cairn-build-js: turns a JavaScript workflow module into a component of
// the `cairn:workflow` world, with QuickJS through componentize-qjs (the
// version pinned in this package's package.json).
//
//   cairn-build-js app.js -o app.wasm [-q]
//
// The module's directory (without node_modules, dot files and .wasm
// files) is staged beside this SDK in a temporary directory, so
// `import ... from "cairn-sdk"` resolves to it; an entry module imports
// the app and exports the SDK's `describe`, `describe-ext`, `run` and
// `run-step`. The engine is the synchronous one (`--sync`): cairn's host
// calls exports synchronously and traps to suspend a run.

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SDK = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function usage(message) {
  if (message) console.error(`cairn-build-js: ${message}`);
  console.error("usage: cairn-build-js APP.js -o OUT.wasm [-q]");
  process.exit(2);
}

function parse(argv) {
  const opts = { app: null, out: null, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-o" || a === "--output") opts.out = argv[++i];
    else if (a === "-q" || a === "--quiet") opts.quiet = true;
    else if (a === "-h" || a === "--help") usage();
    else if (a.startsWith("-")) usage(`unknown option ${a}`);
    else if (opts.app === null) opts.app = a;
    else usage(`one module at a time (got ${opts.app} and ${a})`);
  }
  if (!opts.app) usage("which module? (e.g. app.js)");
  if (!opts.out) usage("where to? (-o app.wasm)");
  return opts;
}

function stageApp(from, to) {
  for (const name of readdirSync(from)) {
    if (name === "node_modules" || name.startsWith(".") || name.endsWith(".wasm")) continue;
    cpSync(join(from, name), join(to, name), { recursive: true });
  }
}

function componentizer() {
  const require = createRequire(join(SDK, "package.json"));
  let pkg;
  try {
    pkg = require.resolve("componentize-qjs/package.json");
  } catch {
    console.error(`cairn-build-js: componentize-qjs is not installed: run \`npm ci\` in ${SDK}`);
    process.exit(2);
  }
  return join(dirname(pkg), "bin", "componentize-qjs");
}

const opts = parse(process.argv.slice(2));
const app = resolve(opts.app);
if (!existsSync(app) || !statSync(app).isFile()) usage(`${opts.app} is not a file`);

const stage = mkdtempSync(join(tmpdir(), "cairn-build-js-"));
try {
  stageApp(dirname(app), join(stage, "app"));
  const sdk = join(stage, "node_modules", "cairn-sdk");
  cpSync(join(SDK, "package.json"), join(sdk, "package.json"));
  cpSync(join(SDK, "src"), join(sdk, "src"), { recursive: true });
  writeFileSync(
    join(stage, "entry.js"),
    `import "./app/${basename(app)}";\nexport { describe, describeExt, run, runStep } from "cairn-sdk/guest";\n`,
  );
  const args = [
    "--wit", join(SDK, "wit"),
    "--world", "workflow",
    "--js", join(stage, "entry.js"),
    "--module-root", stage,
    "--sync",
    "-o", resolve(opts.out),
  ];
  const r = spawnSync(process.execPath, [componentizer(), ...args], { encoding: "utf8" });
  if (r.status !== 0) {
    process.stderr.write(r.stdout ?? "");
    process.stderr.write(r.stderr ?? "");
    console.error(`cairn-build-js: building ${opts.app} failed`);
    process.exit(1);
  }
  if (!opts.quiet) console.log(`built ${opts.out} from ${opts.app}`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

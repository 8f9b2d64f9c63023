// Validate AsyncAPI documents with the official parser (the one `asyncapi validate` runs, with
// its default rulesets). Prints every diagnostic and a summary line per file; exit 1 on an error.
const fs = require('fs');
const path = require('path');
const { Parser } = require('@asyncapi/parser');

const SEVERITY = { 0: 'error', 1: 'warning', 2: 'info', 3: 'hint' };

async function validate(file) {
  const { document, diagnostics } = await new Parser().parse(fs.readFileSync(file, 'utf8'), {
    source: path.resolve(file),
  });
  const counts = { error: 0, warning: 0, info: 0, hint: 0 };
  for (const d of diagnostics) {
    counts[SEVERITY[d.severity]] += 1;
    console.log(`  ${SEVERITY[d.severity]} ${d.code}: ${d.message} at /${d.path.join('/')}`);
  }
  const failed = document === undefined || counts.error > 0;
  const operations = document ? document.operations().length : 0;
  const messages = document ? document.allMessages().length : 0;
  console.log(
    `asyncapi ${path.basename(file)}: ${counts.error} errors, ${counts.warning} warnings, ` +
      `${counts.info} infos; ${operations} operations, ${messages} messages` +
      (failed ? ' INVALID' : ' valid'),
  );
  return !failed;
}

(async () => {
  let ok = true;
  for (const file of process.argv.slice(2)) ok = (await validate(file)) && ok;
  process.exit(ok ? 0 : 1);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});

// Generate Python models from AsyncAPI documents with Modelina, as a subscribing team would.
// Usage: generate_models.cjs FILE OUTDIR [FILE OUTDIR ...] (one process: Modelina loads once).
// Modelina's Python files import each other from the package `asyncapimodels`, so they are
// written to OUTDIR/asyncapimodels (importable with OUTDIR on sys.path).
const fs = require('fs');
const path = require('path');
const { PythonFileGenerator } = require('@asyncapi/modelina');

async function generate(file, outdir) {
  const document = JSON.parse(fs.readFileSync(file, 'utf8'));
  const target = path.join(outdir, 'asyncapimodels');
  fs.mkdirSync(target, { recursive: true });
  const models = await new PythonFileGenerator().generateToFiles(document, target, {});
  const named = models.filter((model) => model.modelName);
  console.log(`modelina ${path.basename(file)}: ${named.length} models`);
  for (const model of named) console.log(`  ${model.modelName}`);
}

(async () => {
  const args = process.argv.slice(2);
  if (args.length === 0 || args.length % 2 !== 0) throw new Error('usage: FILE OUTDIR ...');
  for (let i = 0; i < args.length; i += 2) await generate(args[i], args[i + 1]);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});

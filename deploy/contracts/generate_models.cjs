// Generate Python models from an AsyncAPI document with Modelina, as a subscribing team would.
// Modelina's Python files import each other from the package `asyncapimodels`, so they are
// written to OUTDIR/asyncapimodels (importable with OUTDIR on sys.path).
const fs = require('fs');
const path = require('path');
const { PythonFileGenerator } = require('@asyncapi/modelina');

(async () => {
  const [file, outdir] = process.argv.slice(2);
  const document = JSON.parse(fs.readFileSync(file, 'utf8'));
  const target = path.join(outdir, 'asyncapimodels');
  fs.mkdirSync(target, { recursive: true });
  const models = await new PythonFileGenerator().generateToFiles(document, target, {});
  const named = models.filter((model) => model.modelName);
  console.log(`modelina ${path.basename(file)}: ${named.length} models`);
  for (const model of named) console.log(`  ${model.modelName}`);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});

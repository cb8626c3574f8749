/**
 * Generates src/config/pipeline-schema.generated.ts from schemas/pipeline.schema.json, so the
 * TypeScript types can never drift from the schema. Run `npx tsx src/config/generate-types.ts`
 * (`npm run generate`) after editing the schema and commit the result; a test fails when the
 * committed file is stale. Dev-time only: nothing at runtime imports this module.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compile } from 'json-schema-to-typescript';
import { pipelineSchemaUrl } from './pipeline-schema.ts';

/** Where the generated types are committed. */
export const generatedTypesUrl = new URL('./pipeline-schema.generated.ts', import.meta.url);

const bannerComment = `/**
 * Generated from schemas/pipeline.schema.json by src/config/generate-types.ts (npm run generate).
 * Do not edit: change the schema and regenerate. These are the types of the YAML as written;
 * the resolved config that the rest of the code reads is PipelineConfig (pipeline-config.ts).
 */`;

/** The generated module's text for the schema as it is now on disk. */
export async function generatePipelineTypes(): Promise<string> {
  // A fresh parse each time: the compiler dereferences the schema in place.
  const schema = JSON.parse(await readFile(pipelineSchemaUrl, 'utf8')) as object;
  return compile(schema, 'Pipeline', {
    bannerComment,
    additionalProperties: false,
    ignoreMinAndMaxItems: true,
    strictIndexSignatures: true,
    cwd: fileURLToPath(new URL('.', pipelineSchemaUrl)),
    style: { singleQuote: true, printWidth: 110, trailingComma: 'all' },
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeFile(generatedTypesUrl, await generatePipelineTypes());
  process.stdout.write(`wrote ${fileURLToPath(generatedTypesUrl)}\n`);
}

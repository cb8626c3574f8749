/**
 * The committed types must be what the schema generates today: edit the schema, then run
 * `npx tsx src/config/generate-types.ts` (npm run generate) and commit both.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { generatedTypesUrl, generatePipelineTypes } from '../../src/config/generate-types.ts';

test('src/config/pipeline-schema.generated.ts is up to date with schemas/pipeline.schema.json', async () => {
  const committed = await readFile(generatedTypesUrl, 'utf8');
  assert.equal(committed, await generatePipelineTypes(), 'stale generated types: run `npx tsx src/config/generate-types.ts` and commit the result');
});

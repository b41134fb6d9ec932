/**
 * The simulator's embedded media (src/testing/media-fixtures.ts) is the committed fixtures, byte for byte: the
 * module is what scripts/embed-media-fixtures.ts writes from test/fixtures/media today, and each constant decodes
 * to its fixture file. Fails when a fixture changes and the module was not regenerated (or the other way round).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMBEDDED, render } from '../../scripts/embed-media-fixtures.js';
import * as embedded from '../../src/testing/media-fixtures.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'media');

describe('embedded media fixtures', () => {
  it('the module is exactly what the embed script writes from the fixture files now', () => {
    const now = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'testing', 'media-fixtures.ts'), 'utf8');
    expect(now === render(), 'src/testing/media-fixtures.ts is stale: run npx tsx scripts/embed-media-fixtures.ts').toBe(true);
  });

  it.each(EMBEDDED.map(([name, file]) => [name, file]))('%s decodes to %s byte for byte', (name, file) => {
    const b64 = (embedded as Record<string, string>)[name];
    expect(typeof b64).toBe('string');
    const bytes = Buffer.from(b64!, 'base64');
    const want = readFileSync(join(FIX, file));
    expect(bytes.length).toBe(want.length);
    expect(bytes.equals(want)).toBe(true);
  });

  it('SPEECH_TEXT is speech.txt', () => {
    expect(embedded.SPEECH_TEXT).toBe(readFileSync(join(FIX, 'speech.txt'), 'utf8').trim());
    expect(embedded.SPEECH_TEXT.length).toBeGreaterThan(5);
  });
});

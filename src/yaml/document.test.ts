import { LineCounter } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseYamlDocument, parseYamlDocuments } from './document.js';

function errors(text: string): Array<{ code: string; line: number | undefined }> {
  const lineCounter = new LineCounter();
  const doc = parseYamlDocument(text, { lineCounter, prettyErrors: true });
  return doc.errors.map((e) => ({ code: e.code, line: e.linePos?.[0].line }));
}

describe('parseYamlDocument', () => {
  it('reports every duplicate key, in nested maps too, at its line, in order', () => {
    expect(errors('a: 1\nb:\n  x: 1\n  x: 2\na: 3\n')).toEqual([
      { code: 'DUPLICATE_KEY', line: 4 },
      { code: 'DUPLICATE_KEY', line: 5 },
    ]);
    expect(errors('a: 1\nb: 2\n')).toEqual([]);
    // Keys equal as values are duplicates whatever their quoting.
    expect(errors('"1": a\n1: b\n')).toEqual([{ code: 'DUPLICATE_KEY', line: 2 }]);
  });

  it('finds the one duplicate among 20,000 image keys', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `  img_${i}: quay.io/x/y:${i}`);
    lines.push('  img_17: quay.io/x/y:again');
    expect(errors(`images:\n${lines.join('\n')}\n`)).toEqual([{ code: 'DUPLICATE_KEY', line: 20_002 }]);
  });

  it('checks each document of a stream', () => {
    const docs = parseYamlDocuments('a: 1\n---\nb: 1\nb: 2\n', { lineCounter: new LineCounter() });
    expect(docs.map((d) => d.errors.map((e) => e.code))).toEqual([[], ['DUPLICATE_KEY']]);
    expect(parseYamlDocuments('', { lineCounter: new LineCounter() })).toEqual([]);
  });
});

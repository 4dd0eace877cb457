import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonString } from '../../src/admission/json-text.js';

describe('jsonString', () => {
  it('equals JSON.stringify for plain and escaped text alike', () => {
    const samples = ['', 'u-1', 'ecr-anywhere.centml.ai/expires_at', '2026-11-21T22:00:00Z', 'ü€😀 ok', 'quote"', 'back\\slash', 'tab\t', '\u0000', '\u001f', '\u007f', 'lone \ud800 half', 'lone \udfff half', '\u2028'];
    for (const text of samples) assert.equal(jsonString(text), JSON.stringify(text), JSON.stringify(text));
  });

  it('round-trips every code unit through JSON.parse', () => {
    for (let code = 0; code < 0x10000; code += 1) {
      const text = `a${String.fromCharCode(code)}b`;
      assert.equal(JSON.parse(jsonString(text)), text, `U+${code.toString(16)}`);
    }
  });
});

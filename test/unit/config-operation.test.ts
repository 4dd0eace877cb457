import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toBase64Text, type Base64Text } from '../../src/common/base64.js';
import {
  configOperation,
  configOperationText,
  memoizedConfigOperationText,
  type ConfigOperationKind,
  type ConfigOperationText,
} from '../../src/webhook/config-operation.js';

const KINDS: readonly ConfigOperationKind[] = ['add-data', 'add-key', 'replace-key'];
const values = ['', 'QQ==', 'QUI=', 'QUJD', toBase64Text('{"auths":{}}'), toBase64Text('x'.repeat(6_000))] as Base64Text[];

/** What a patch holding only this operation must be, in base64, built from its text. */
function patchBase64(text: ConfigOperationText): string {
  return Buffer.from(`[${text.json}]`, 'utf8').toString('base64');
}

function continued(text: ConfigOperationText, tail: string): string {
  return text.patchStart.base64 + Buffer.concat([text.patchStart.rest, Buffer.from(tail)]).toString('base64');
}

describe('configOperationText', () => {
  for (const kind of KINDS) {
    it(`${kind}: the text is the operation, and its patch start continues into the whole patch`, () => {
      for (const value of values) {
        const text = configOperationText(kind, value);
        assert.deepEqual(JSON.parse(text.json), configOperation(kind, value));
        assert.equal(continued(text, ']'), patchBase64(text), `value of ${value.length} chars`);
        assert.ok(text.patchStart.rest.length < 3);
      }
    });
  }
});

describe('memoizedConfigOperationText gives the same answers as configOperationText', () => {
  it('for every kind and value, first and remembered, kinds of one value apart', () => {
    const memoized = memoizedConfigOperationText();
    for (let round = 0; round < 2; round++) {
      for (const value of values) {
        for (const kind of KINDS) assert.deepEqual(memoized(kind, value), configOperationText(kind, value), `${kind}, ${value.length} chars, round ${round}`);
      }
    }
  });

  it('stays correct past its bounds (a memo smaller than one value)', () => {
    const memoized = memoizedConfigOperationText({ maxChars: 100 });
    for (let round = 0; round < 2; round++) {
      for (const value of values) assert.deepEqual(memoized('replace-key', value), configOperationText('replace-key', value));
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toBase64Text, type Base64Text } from '../../src/admission/base64.js';
import {
  configOperation,
  configOperationText,
  memoizedConfigOperationText,
  type ConfigOperationKind,
  type ConfigOperationTextOf,
} from '../../src/admission/config-operation.js';

const KINDS: readonly ConfigOperationKind[] = ['add-data', 'add-key', 'replace-key'];
const values = ['', 'QQ==', 'QUI=', 'QUJD', toBase64Text('{"auths":{}}'), toBase64Text('x'.repeat(6_000))] as Base64Text[];
/** Tails as injection makes them: our annotation operations, changing once a second, and back again. */
const tails = [']', ',{"op":"add","path":"/metadata/annotations","value":{"a":"1"}}]', ',{"op":"add","path":"/metadata/annotations","value":{"a":"2"}}]', ']', ',ü€]'];

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** Every kind × value × tail through `textOf`, checked against the whole patch text encoded at once. */
function assertPatches(textOf: ConfigOperationTextOf, what: string): void {
  for (const value of values) {
    for (const kind of KINDS) {
      const text = textOf(kind, value);
      assert.deepEqual(JSON.parse(text.json), configOperation(kind, value), `${what}: ${kind} text`);
      for (const tail of tails) {
        assert.equal(text.patchBase64(tail), base64(`[${text.json}${tail}`), `${what}: ${kind}, ${value.length} chars, tail ${tail}`);
        assert.equal(text.patchBase64(tail), base64(`[${text.json}${tail}`), `${what}: ${kind}, same tail again`);
      }
    }
  }
}

describe('configOperationText', () => {
  it('is the operation as JSON text, and its patch continues into the base64 of the whole patch', () => {
    assertPatches(configOperationText, 'plain');
  });
});

describe('memoizedConfigOperationText gives the same answers as configOperationText', () => {
  it('for every kind, value and tail, first and remembered, kinds of one value apart', () => {
    const memoized = memoizedConfigOperationText();
    assertPatches(memoized, 'first');
    assertPatches(memoized, 'remembered');
  });

  it('hands out the same text for a value seen before', () => {
    const memoized = memoizedConfigOperationText();
    assert.equal(memoized('replace-key', values[4]!), memoized('replace-key', values[4]!));
  });

  it('stays correct past its bounds (a memo smaller than one value)', () => {
    const memoized = memoizedConfigOperationText({ maxChars: 100 });
    assertPatches(memoized, 'tiny memo');
    assertPatches(memoized, 'tiny memo again');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeTlsSecretData, encodeTlsSecretData } from '../../src/tls/self-managed/secret-contents.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('TLS Secret contents', () => {
  it('reads our keys as text and ignores empty or foreign ones', () => {
    const contents = decodeTlsSecretData({ 'ca.crt': b64('CA'), 'tls.key': '', 'ca-previous.until': b64('2030-01-01T00:00:00Z'), other: b64('x') });
    assert.deepEqual(contents, { caCert: 'CA', previousCaUntil: '2030-01-01T00:00:00Z' });
    assert.deepEqual(decodeTlsSecretData(undefined), {});
  });

  it('writes our keys, removes the ones no longer held and keeps keys it does not own', () => {
    const data = encodeTlsSecretData(
      { caCert: 'CA', caKey: 'CAKEY', cert: 'CERT', key: 'KEY' },
      { 'ca-previous.crt': b64('OLD'), 'ca-previous.until': b64('then'), 'user-note': b64('keep me') },
    );
    assert.deepEqual(data, { 'ca.crt': b64('CA'), 'ca.key': b64('CAKEY'), 'tls.crt': b64('CERT'), 'tls.key': b64('KEY'), 'user-note': b64('keep me') });
    assert.deepEqual(decodeTlsSecretData(data), { caCert: 'CA', caKey: 'CAKEY', cert: 'CERT', key: 'KEY' });
  });
});

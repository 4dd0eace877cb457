// What TLS_MODE=self keeps in its Secret, key by key, and the base64 coding of Secret `data`.
// Only the keys below are ours; any other key a user adds to the Secret is left as it is.

export const SECRET_KEYS = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  cert: 'tls.crt',
  key: 'tls.key',
  /** During a CA rotation: the CA that signed certificates still in service, kept in the caBundle... */
  previousCaCert: 'ca-previous.crt',
  /** ...until this RFC 3339 time (when the last certificate it signed expires). */
  previousCaUntil: 'ca-previous.until',
} as const;

export type TlsSecretContents = { readonly [K in keyof typeof SECRET_KEYS]?: string };

const FIELDS = Object.entries(SECRET_KEYS) as Array<[keyof typeof SECRET_KEYS, string]>;

/** Our keys from a Secret's `data` (base64), as text; absent or empty keys are undefined. */
export function decodeTlsSecretData(data: Readonly<Record<string, string>> | undefined): TlsSecretContents {
  const contents: Partial<Record<keyof typeof SECRET_KEYS, string>> = {};
  for (const [field, key] of FIELDS) {
    const encoded = data?.[key];
    if (encoded === undefined || encoded === '') continue;
    contents[field] = Buffer.from(encoded, 'base64').toString('utf8');
  }
  return contents;
}

/** The Secret's new `data`: other keys kept, ours replaced (or removed when absent from `contents`). */
export function encodeTlsSecretData(
  contents: TlsSecretContents,
  existing: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const data: Record<string, string> = { ...existing };
  for (const [field, key] of FIELDS) {
    const value = contents[field];
    if (value === undefined) delete data[key];
    else data[key] = Buffer.from(value, 'utf8').toString('base64');
  }
  return data;
}

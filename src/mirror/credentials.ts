// Source registry credentials as the seed keeps them: one `{username, password}` object, or one level of named
// entries (`{"artifactory": {"username", "password"}, …}`) from which the mirror file picks one with `entry`.
// Pure: the adapters read the file or the Kubernetes Secret and hand the parsed content here.
import { parse } from 'yaml';

export interface BasicCredentials {
  readonly username: string;
  /** Secret material: never logged, never written to an output file. */
  readonly password: string;
}

export type CredentialsResult = { readonly ok: true; readonly credentials: BasicCredentials } | { readonly ok: false; readonly reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pair(value: unknown, where: string): CredentialsResult {
  if (!isRecord(value)) return { ok: false, reason: `${where} is not an object with username and password` };
  const { username, password } = value;
  if (typeof username !== 'string' || username === '') return { ok: false, reason: `${where} has no username (a non-empty string)` };
  if (typeof password !== 'string' || password === '') return { ok: false, reason: `${where} has no password (a non-empty string)` };
  return { ok: true, credentials: { username, password } };
}

/** Picks the credentials out of a parsed document: the object itself, or its entry `entry` one level down. */
export function credentialsFromDocument(document: unknown, entry: string | undefined): CredentialsResult {
  if (entry === undefined) return pair(document, 'the credentials');
  if (!isRecord(document)) return { ok: false, reason: 'the credentials are not an object of named entries' };
  if (!(entry in document)) {
    const names = Object.keys(document).sort();
    return { ok: false, reason: `there is no entry "${entry}" (entries: ${names.length === 0 ? 'none' : names.join(', ')})` };
  }
  return pair(document[entry], `entry "${entry}"`);
}

/** Parses a credentials file's text (JSON or YAML) — the message never quotes the content. */
export function credentialsFromText(text: string, entry: string | undefined): CredentialsResult {
  let document: unknown;
  try {
    document = parse(text) as unknown;
  } catch {
    return { ok: false, reason: 'the file is neither JSON nor YAML' };
  }
  return credentialsFromDocument(document, entry);
}

/**
 * A Kubernetes Secret's decoded data: its `username` and `password` keys (the kubernetes.io/basic-auth layout), or
 * with `entry`, the data key `entry` holding a JSON `{username, password}` — one named entry per data key.
 */
export function credentialsFromSecretData(data: Readonly<Record<string, string>>, entry: string | undefined): CredentialsResult {
  if (entry === undefined) return pair(data, 'the Secret');
  const raw = data[entry];
  if (raw === undefined) {
    const names = Object.keys(data).sort();
    return { ok: false, reason: `the Secret has no data key "${entry}" (keys: ${names.length === 0 ? 'none' : names.join(', ')})` };
  }
  let document: unknown;
  try {
    document = JSON.parse(raw) as unknown;
  } catch {
    return { ok: false, reason: `the Secret's data key "${entry}" is not JSON` };
  }
  return pair(document, `the Secret's data key "${entry}"`);
}

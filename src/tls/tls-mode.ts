// The ways the webhook can get its serving certificate (TLS_MODE).

/** files: CERT_FILE/KEY_FILE, hot-reloaded. self: a CA and certificate kept in a Secret. ephemeral: made at start. */
export type TlsMode = 'files' | 'self' | 'ephemeral';
export const TLS_MODES: readonly TlsMode[] = ['files', 'self', 'ephemeral'];

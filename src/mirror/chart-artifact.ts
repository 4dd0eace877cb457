// A chart packed as an OCI artifact the way `helm push` stores it (ECR's OCI artifact support, seed 003): a config
// blob holding the chart's metadata as JSON (application/vnd.cncf.helm.config.v1+json) and one layer, the chart
// archive. Deterministic — no creation time — so the same archive always gives the same digest and a second run
// finds it already there.
import { HELM_CHART_CONTENT, HELM_CONFIG, OCI_MANIFEST, sha256Digest } from './oci/media-types.js';

export interface ChartArtifact {
  readonly manifest: Buffer;
  readonly mediaType: string;
  readonly digest: string;
  readonly blobs: ReadonlyArray<{ readonly digest: string; readonly bytes: Buffer }>;
}

export function chartArtifact(archive: Buffer, metadata: Readonly<Record<string, unknown>>): ChartArtifact {
  const config = Buffer.from(JSON.stringify(metadata));
  const configDigest = sha256Digest(config);
  const layerDigest = sha256Digest(archive);
  const annotations: Record<string, string> = {};
  if (typeof metadata.name === 'string') annotations['org.opencontainers.image.title'] = metadata.name;
  if (typeof metadata.version === 'string') annotations['org.opencontainers.image.version'] = metadata.version;
  if (typeof metadata.description === 'string') annotations['org.opencontainers.image.description'] = metadata.description;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: HELM_CONFIG, digest: configDigest, size: config.length },
      layers: [{ mediaType: HELM_CHART_CONTENT, digest: layerDigest, size: archive.length }],
      annotations,
    }),
  );
  return {
    manifest,
    mediaType: OCI_MANIFEST,
    digest: sha256Digest(manifest),
    blobs: [
      { digest: configDigest, bytes: config },
      { digest: layerDigest, bytes: archive },
    ],
  };
}

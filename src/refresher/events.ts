// Pure: the core/v1 Event the refresher records on a Secret, so `kubectl describe secret` and `kubectl get events`
// show what happened to it and why. generateName lets the API server pick a unique name of legal length.
import { PREFIX } from '../common/names.js';

export const EVENT_REASONS = { refreshed: 'Refreshed', failed: 'RefreshFailed', skipped: 'RefreshSkipped', provisioned: 'Provisioned' } as const;

export const EVENT_COMPONENT = 'ecr-anywhere-refresher';
/** The API server caps nothing here, but long messages are unreadable in `kubectl describe`. */
const MAX_MESSAGE_LENGTH = 1_024;

export interface EventTarget {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string | undefined;
  readonly resourceVersion?: string | undefined;
}

export interface EventSpec {
  readonly type: 'Normal' | 'Warning';
  readonly reason: (typeof EVENT_REASONS)[keyof typeof EVENT_REASONS];
  readonly message: string;
}

export interface SecretEvent {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { generateName: string; namespace: string };
  involvedObject: { apiVersion: 'v1'; kind: 'Secret'; namespace: string; name: string; uid?: string; resourceVersion?: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  action: string;
  source: { component: string };
  reportingComponent: string;
  reportingInstance: string;
  firstTimestamp: Date;
  lastTimestamp: Date;
  count: number;
}

export function secretEvent(target: EventTarget, spec: EventSpec, now: Date, instance: string): SecretEvent {
  const message = spec.message.length > MAX_MESSAGE_LENGTH ? `${spec.message.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : spec.message;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      // generateName bases are cut to 58 characters by the API server; the dot keeps the Secret's name readable.
      generateName: `${target.name.slice(0, 57)}.`,
      namespace: target.namespace,
    },
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: target.namespace,
      name: target.name,
      ...(target.uid ? { uid: target.uid } : {}),
      ...(target.resourceVersion ? { resourceVersion: target.resourceVersion } : {}),
    },
    type: spec.type,
    reason: spec.reason,
    message,
    action: 'Refresh',
    source: { component: EVENT_COMPONENT },
    reportingComponent: `${PREFIX}/refresher`,
    reportingInstance: instance.slice(0, 128),
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}

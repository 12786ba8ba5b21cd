// The one Event recorder of both controllers: core/v1 Events on the objects they act on (an
// ExternalSecret, a workload), written without waiting. An Event that cannot be written fails
// nothing else; it is logged and counted (task "event"), as all background work is.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { inBackground, type BackgroundOwner } from '../observability/background';
import { kubeRequest } from './request';
import { resourcePath } from './resources';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  constructor(
    private readonly kc: KubeConfig,
    /** Where a failed Event write is logged and counted. */
    private readonly owner: BackgroundOwner,
  ) {}

  /** Writes an Event on `obj` (best effort; see the file comment). */
  event(
    obj: KubernetesObject,
    type: EventType,
    reason: string,
    message: string,
    component = 'secretsync',
  ): void {
    const ns = obj.metadata?.namespace ?? 'default';
    const now = new Date().toISOString();
    const write = kubeRequest(this.kc, {
      method: 'POST',
      path: resourcePath('Event', { namespace: ns }),
      body: {
        metadata: { generateName: `${obj.metadata?.name ?? 'object'}.` },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata?.name,
          namespace: ns,
          uid: obj.metadata?.uid,
          resourceVersion: obj.metadata?.resourceVersion,
        },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component },
        reportingComponent: component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
      timeoutMs: 30_000,
    });
    inBackground(this.owner, 'event', write, { object: `${obj.kind}/${ns}/${obj.metadata?.name}`, reason });
  }
}

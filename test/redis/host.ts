/**
 * A coordinator host that records every callback, with the time it came: what the Redis coordinator tests assert on.
 */
import type { ControlMessage, CoordinatorHost, CoordinatorStatus, StreamLease } from '../../src/index.js';

export interface Recorder extends CoordinatorHost {
  control: ControlMessage[];
  takeovers: { lease: StreamLease; at: number }[];
  lost: { id: string; at: number }[];
  statuses: CoordinatorStatus[];
}

export function recorder(): Recorder {
  const r: Recorder = {
    control: [],
    takeovers: [],
    lost: [],
    statuses: [],
    onControl: (m) => r.control.push(m),
    onTakeover: (lease) => r.takeovers.push({ lease, at: Date.now() }),
    onLost: (id) => r.lost.push({ id, at: Date.now() }),
    onStatus: (st) => r.statuses.push(st),
  };
  return r;
}
